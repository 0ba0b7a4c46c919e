"""Opening images safely: decode small, upright, RGB; read EXIF facts; refuse bombs."""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any, Union

from .errors import UnreadableMedia

if TYPE_CHECKING:
    from PIL import Image

Source = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes], "Image.Image"]

# Long side the models work on. OCR is capped at 960 (det_limit_side_len) and the
# classifier wants 256, so decoding a 12-MP JPEG at full size would be wasted time:
# Pillow's draft() lets libjpeg decode at 1/2, 1/4 or 1/8 scale directly.
WORK_SIDE = 960
MAX_WORK_SIDE = 1280
# Larger images are refused as decompression bombs, at upload and in the worker alike
# (the Django app's UPLOAD_MAX_PIXELS defaults to this and is handed to the engine).
MAX_PIXELS = 120_000_000

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class ExifFacts:
    """What the file says about itself: the one reader for uploads and for analysis.

    `taken_at` is aware when the file records its UTC offset (OffsetTime* tags),
    else naive local time, which the caller places in its own time zone.
    """

    taken_at: datetime | None = None
    camera: str | None = None  # make and model, the make said once
    gps: tuple[float, float] | None = None
    orientation: int = 1
    make: str = ""
    model: str = ""
    # How the camera exposed the photo (Exif IFD), None where the file doesn't say.
    exposure_s: float | None = None  # ExposureTime, seconds
    f_number: float | None = None
    iso: float | None = None
    flash: bool | None = None  # whether the flash fired
    focal_mm: float | None = None

    @property
    def light_ev(self) -> float | None:
        """The scene's light as EV at ISO 100 (log2 N²/t - log2 ISO/100): about 15 in
        sun, 12-13 overcast, 5-8 in a lit room, 0-4 in a lit street at night. None
        without exposure time and aperture; ISO 100 assumed where it is missing."""
        if not self.exposure_s or not self.f_number or self.exposure_s <= 0:
            return None
        iso = self.iso if self.iso and self.iso > 0 else 100.0
        return math.log2(self.f_number**2 / self.exposure_s) - math.log2(iso / 100.0)


@dataclass
class Prepared:
    """An image ready for the models, plus what we learnt while opening it."""

    image: Image.Image  # RGB, upright, long side <= MAX_WORK_SIDE
    width: int  # upright size of the original
    height: int
    exif: ExifFacts


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif
    except ImportError:  # HEIC support is optional
        return
    pillow_heif.register_heif_opener()
    _heif_registered = True


def _open(source: Source) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise UnreadableMedia("The file is empty.")
        source = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        if os.path.getsize(source) == 0:
            raise UnreadableMedia("The file is empty.")
    _register_heif()
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below decides; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(source)
    except Image.DecompressionBombError as exc:
        raise UnreadableMedia(
            "The image is too large to process safely (possible decompression bomb)."
        ) from exc
    except UnidentifiedImageError as exc:
        if is_empty(source):
            raise UnreadableMedia("The file is empty.") from exc
        raise UnreadableMedia("The file is not an image in a format that can be read.") from exc


def is_empty(source: Any) -> bool:
    try:
        pos = source.tell()
        source.seek(0, io.SEEK_END)
        empty: bool = source.tell() == 0
        source.seek(pos)
        return empty
    except (AttributeError, OSError):
        return False


def _draft_size(width: int, height: int) -> tuple[int, int]:
    scale = WORK_SIDE / max(width, height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def check_pixels(width: int, height: int, max_pixels: int = MAX_PIXELS) -> None:
    """UnreadableMedia for an image over the pixel cap, before a pixel is decoded."""
    if width * height > max_pixels:
        raise UnreadableMedia(
            f"The image is {width}x{height} pixels, more than the "
            f"{max_pixels / 1e6:.0f}-megapixel limit (too large to process safely)."
        )


def prepare(source: Source, *, max_pixels: int = MAX_PIXELS) -> Prepared:
    """Decode `source` into a small upright RGB image; UnreadableMedia if that is impossible."""
    from PIL import Image, ImageOps

    img = _open(source)
    width, height = img.size
    check_pixels(width, height, max_pixels)
    exif = read_exif(img)
    try:
        if img.format == "JPEG" and max(width, height) > WORK_SIDE:
            img.draft("RGB", _draft_size(width, height))
        img.load()
        upright = ImageOps.exif_transpose(img)
    except Image.DecompressionBombError as exc:  # some formats only know their size late
        raise UnreadableMedia("The image is too large to process safely.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated or corrupt data as OSError (sometimes SyntaxError).
        raise UnreadableMedia("The image is truncated or corrupt and cannot be decoded.") from exc
    if getattr(img, "is_animated", False):
        upright = upright.copy()  # first frame only
    if exif.orientation in (5, 6, 7, 8):  # these orientations turn the picture a quarter
        width, height = height, width
    rgb = _to_rgb(upright)
    if max(rgb.size) > MAX_WORK_SIDE:
        rgb.thumbnail((MAX_WORK_SIDE, MAX_WORK_SIDE))
    return Prepared(image=rgb, width=width, height=height, exif=exif)


def _to_rgb(img: Image.Image) -> Image.Image:
    from PIL import Image

    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas become white, as a viewer would show them.
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    return img.convert("RGB")


def read_exif(img: Image.Image) -> ExifFacts:
    try:
        exif = img.getexif()
        if not exif:
            return ExifFacts()
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # broken EXIF must never fail the photo itself
        return ExifFacts()
    make, model = _text(exif.get(0x010F)), _text(exif.get(0x0110))
    return ExifFacts(
        taken_at=_taken_at(exif, sub),
        camera=_camera(make, model),
        gps=_gps(gps) if gps else None,
        orientation=_int(exif.get(0x0112), 1),
        make=make,
        model=model,
        **_exposure(sub),
    )


def _exposure(sub: Any) -> dict[str, Any]:
    flash = sub.get(0x9209)  # Flash: bit 0 says whether it fired
    iso = sub.get(0x8827)  # ISOSpeedRatings (one value or several)
    if isinstance(iso, (tuple, list)):
        iso = iso[0] if iso else None
    return {
        "exposure_s": _positive(sub.get(0x829A)),
        "f_number": _positive(sub.get(0x829D)),
        "iso": _positive(iso),
        "flash": bool(_int(flash, 0) & 1) if flash is not None else None,
        "focal_mm": _positive(sub.get(0x920A)),
    }


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


# Each time tag with the offset tag that belongs to it (EXIF 2.31): an offset
# applies only to its own time, never to another tag's.
_TIME_TAGS = (
    (True, 0x9003, 0x9011),  # DateTimeOriginal, OffsetTimeOriginal (Exif IFD)
    (True, 0x9004, 0x9012),  # DateTimeDigitized, OffsetTimeDigitized
    (False, 0x0132, 0x9010),  # DateTime (IFD0), OffsetTime
)


def _taken_at(exif: Any, sub: Any) -> datetime | None:
    found = [
        (raw, offset_tag)
        for in_sub, time_tag, offset_tag in _TIME_TAGS
        if (raw := _text((sub if in_sub else exif).get(time_tag)))
    ]
    if not found:
        return None
    raw, offset_tag = found[0]
    try:
        taken = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _utc_offset(_text(sub.get(offset_tag)))
    return taken.replace(tzinfo=offset) if offset is not None else taken


def _utc_offset(text: str) -> timezone | None:
    """Read "+02:00" as UTC+2; anything else (blank, "   :  ", out of range) is None."""
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if text[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _camera(make: str, model: str) -> str | None:
    # Models usually repeat the make ("Canon" + "Canon EOS 5D"): say it once.
    if make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(p for p in (make, model) if p) or None


def _gps(gps: Any) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # 0,0 is what broken cameras write when they have no fix
    return lat, lon


def _degrees(dms: Any, ref: Any) -> float:
    d, m, s = (float(v) for v in dms)
    value = d + m / 60 + s / 3600
    return -value if _text(ref).upper() in ("S", "W") else value
