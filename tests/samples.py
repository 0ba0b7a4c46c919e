"""Real photographs (bundled in scikit-image's wheel) and videos made from them."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
from PIL import Image
from skimage import data

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "motorcycle_left", "camera")


def photo_image(name: str = "chelsea") -> Image.Image:
    if name == "motorcycle_left":  # scikit-image ships it as one half of a stereo pair
        return Image.fromarray(data.stereo_motorcycle()[0]).convert("RGB")
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def jpeg_bytes(
    name: str = "chelsea", *, exif: Image.Exif | None = None, quality: int = 90
) -> bytes:
    buffer = io.BytesIO()
    photo_image(name).save(buffer, "JPEG", quality=quality, exif=exif or Image.Exif())
    return buffer.getvalue()


def image_bytes(name: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    photo_image(name).save(buffer, fmt)
    return buffer.getvalue()


def exif_with_gps(
    *, latitude: float, longitude: float, taken: str = "2024:05:12 14:30:00"
) -> Image.Exif:
    """EXIF with a capture date, a camera, and a GPS position (degrees/minutes/seconds)."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS R6"  # Model
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1] = "N" if latitude >= 0 else "S"
    gps[2] = to_dms(abs(latitude))
    gps[3] = "E" if longitude >= 0 else "W"
    gps[4] = to_dms(abs(longitude))
    return exif


def to_dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return (Fraction(degrees), Fraction(minutes), Fraction(seconds, 100))


def mp4_bytes(
    names: tuple[str, ...] = ("chelsea", "coffee"),
    *,
    seconds_each: float = 1.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    fmt: str = "mp4",
    codec: str = "libx264",
) -> bytes:
    """A short video showing each photograph in turn."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for name in names:
            frame_pixels = np.asarray(photo_image(name).resize(size))
            for _ in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_ndarray(frame_pixels, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
