"""Fixtures for the AI engine: real photographs from scikit-image, models loaded once."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_engine import Context, EngineSettings, Registry, get_registry


@pytest.fixture(scope="session")
def engine_settings() -> EngineSettings:
    # The defaults the app uses, so the models loaded here serve other suites too.
    return EngineSettings(backend="offline")


@pytest.fixture(scope="session")
def registry(engine_settings: EngineSettings) -> Registry:
    """The process-wide registry, loaded once for the session (~3 s, ~0.5 GB).

    Tests about loading itself build their own Registry().
    """
    registry = get_registry()
    registry.backend(engine_settings)
    registry.geocoder()
    return registry


@pytest.fixture()
def ctx(engine_settings: EngineSettings, registry: Registry) -> Context:
    return Context(settings=engine_settings, registry=registry)


def _skimage(name: str) -> Image.Image:
    from skimage import data

    if name == "motorcycle_left":  # scikit-image ships it as one half of a stereo pair
        return Image.fromarray(data.stereo_motorcycle()[0]).convert("RGB")
    return Image.fromarray(getattr(data, name)()).convert("RGB")


@pytest.fixture(scope="session")
def photo() -> Callable[[str], Image.Image]:
    cache: dict[str, Image.Image] = {}

    def get(name: str) -> Image.Image:
        if name not in cache:
            cache[name] = _skimage(name)
        return cache[name].copy()

    return get


def jpeg_bytes(image: Image.Image, exif: Image.Exif | None = None, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    image.save(buffer, "JPEG", quality=quality, **kwargs)
    return buffer.getvalue()


def gps_exif(lat: float, lon: float, when: str | None = None) -> Image.Exif:
    """EXIF with a GPS position (degrees, minutes, seconds) and optionally a date."""
    exif = Image.Exif()

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round((value - degrees - minutes / 60) * 3600, 2)
        return (float(degrees), float(minutes), seconds)

    gps = exif.get_ifd(0x8825)
    gps[1] = "N" if lat >= 0 else "S"
    gps[2] = dms(lat)
    gps[3] = "E" if lon >= 0 else "W"
    gps[4] = dms(lon)
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    return exif


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make any attempt to open a network connection fail the test (and record it)."""
    import socket

    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


def make_video(
    path: Path,
    frames: list[Image.Image],
    seconds_each: float,
    fps: int = 10,
    size: tuple[int, int] = (480, 320),
    display_rotation: int = 0,
) -> Path:
    """An H.264 MP4 that shows each image for `seconds_each` seconds, made with PyAV."""
    import av

    width, height = size
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if display_rotation:
            stream.set_display_rotation(display_rotation)
        for image in frames:
            fitted = image.convert("RGB").resize((width, height))
            for _ in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_ndarray(np.asarray(fitted), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
