"""Opening images safely: decode small, upright, RGB; read EXIF facts; refuse bombs."""

from __future__ import annotations

import io
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

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class ExifFacts:
    taken_at: datetime | None = None
    camera: str | None = None
    gps: tuple[float, float] | None = None
    orientation: int = 1


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


def prepare(source: Source, *, max_pixels: int) -> Prepared:
    """Decode `source` into a small upright RGB image; UnreadableMedia if that is impossible."""
    from PIL import Image, ImageOps

    img = _open(source)
    width, height = img.size
    if width * height > max_pixels:
        raise UnreadableMedia(
            f"The image is too large to process safely ({width}x{height} pixels, "
            f"limit {max_pixels // 1_000_000} megapixels)."
        )
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
    return ExifFacts(
        taken_at=_taken_at(exif, sub),
        camera=_camera(exif),
        gps=_gps(gps) if gps else None,
        orientation=_int(exif.get(0x0112), 1),
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def _taken_at(exif: Any, sub: Any) -> datetime | None:
    raw = _text(sub.get(0x9003) or sub.get(0x9004) or exif.get(0x0132))
    try:
        taken = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _text(sub.get(0x9011))  # OffsetTimeOriginal, e.g. "+02:00"
    if len(offset) == 6 and offset[0] in "+-":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
        except ValueError:
            return taken
        sign = 1 if offset[0] == "+" else -1
        taken = taken.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return taken


def _camera(exif: Any) -> str | None:
    make, model = _text(exif.get(0x010F)), _text(exif.get(0x0110))
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
