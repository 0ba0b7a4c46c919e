"""Broken, tiny, huge and empty inputs: a clear UnreadableMedia or a modest result."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from ai_engine import analyze, analyze_video
from ai_engine.errors import EngineError, UnreadableMedia

from .conftest import jpeg_bytes

pytestmark = pytest.mark.timeout(60)  # a hang is a failure, not a slow pass


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_it_refuses_a_truncated_jpeg(ctx, photo):
    data = jpeg_bytes(photo("chelsea"))
    with pytest.raises(UnreadableMedia, match="truncated or corrupt"):
        analyze(data[: len(data) // 2], context=ctx)


def test_it_describes_a_one_pixel_image_modestly(ctx):
    result = analyze(Image.new("RGB", (1, 1), (200, 30, 30)), context=ctx)
    assert result.description == "A tiny image in red tones."
    assert result.tags == []
    assert result.colours == ["red"]


def test_it_refuses_a_decompression_bomb(ctx):
    with pytest.raises(UnreadableMedia, match="too large to process safely"):
        analyze(png_claiming(20000, 20000), context=ctx)


def test_it_refuses_an_image_over_its_own_pixel_limit(registry):
    from ai_engine import Context, EngineSettings

    settings = EngineSettings(max_pixels=1_000_000)
    small_bomb = png_claiming(2000, 2000)
    with pytest.raises(UnreadableMedia, match="2000x2000 pixels"):
        analyze(small_bomb, context=Context(settings=settings, registry=registry))


def test_it_describes_a_grey_image_modestly(ctx):
    result = analyze(Image.new("RGB", (640, 480), (128, 128, 128)), context=ctx)
    assert result.description == "A black-and-white photo."
    assert result.flags == {"black_and_white": True, "nsfw": False, "text_read": False}
    assert result.faces == 0 and result.text == ""
    assert [t.name for t in result.tags] == ["black and white"]


def test_it_refuses_a_zero_byte_file(ctx, tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableMedia, match="empty"):
        analyze(str(empty), context=ctx)
    with pytest.raises(UnreadableMedia, match="empty"):
        analyze(io.BytesIO(b""), context=ctx)
    with pytest.raises(UnreadableMedia, match="empty"):
        analyze_video(str(empty), context=ctx)
    with pytest.raises(UnreadableMedia, match="empty"):
        analyze_video(io.BytesIO(b""), context=ctx)


def test_it_refuses_a_file_that_is_not_an_image(ctx):
    with pytest.raises(UnreadableMedia, match="not an image"):
        analyze(b"%PDF-1.7 this is not a picture", context=ctx)


def test_it_refuses_a_file_that_is_not_a_video(ctx, tmp_path):
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    with pytest.raises(UnreadableMedia) as caught:
        analyze_video(str(bogus), context=ctx)
    assert "video" in str(caught.value)


def test_its_errors_share_one_base_class():
    from ai_engine.errors import BackendUnavailable, ModelUnavailable

    for cls in (UnreadableMedia, BackendUnavailable, ModelUnavailable):
        assert issubclass(cls, EngineError)
