"""The one EXIF reader (ai_engine.media.read_exif): the upload probe and the analysis use it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from ai_engine.errors import UnreadableMedia
from ai_engine.media import check_pixels, read_exif
from tests.samples import exif_with_gps, jpeg_bytes


def opened(exif: Image.Exif) -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes("coffee", exif=exif)))


def test_it_applies_the_offset_recorded_for_the_original_time():
    exif = exif_with_gps(latitude=38.7223, longitude=-9.1393, taken="2024:05:12 14:30:00")
    exif.get_ifd(0x8769)[0x9011] = "+02:00"  # OffsetTimeOriginal

    facts = read_exif(opened(exif))

    assert facts.taken_at == datetime(2024, 5, 12, 12, 30, tzinfo=UTC)
    assert facts.taken_at.utcoffset() == timedelta(hours=2)


def test_an_offset_applies_only_to_its_own_time_tag():
    exif = Image.Exif()
    exif[0x0132] = "2024:05:12 14:30:00"  # DateTime (file modified), no DateTimeOriginal
    exif.get_ifd(0x8769)[0x9011] = "+02:00"  # OffsetTimeOriginal belongs to another tag

    assert read_exif(opened(exif)).taken_at == datetime(2024, 5, 12, 14, 30)  # naive, local

    exif.get_ifd(0x8769)[0x9010] = "-05:00"  # OffsetTime: DateTime's own offset
    taken = read_exif(opened(exif)).taken_at
    assert taken is not None and taken.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("offset", ["", "   :  ", "+2:00", "+25:00", "02:00"])
def test_a_blank_or_broken_offset_leaves_the_time_local(offset):
    exif = exif_with_gps(latitude=1, longitude=1, taken="2024:05:12 14:30:00")
    exif.get_ifd(0x8769)[0x9011] = offset

    assert read_exif(opened(exif)).taken_at == datetime(2024, 5, 12, 14, 30)


def test_gps_zero_zero_is_no_position():
    facts = read_exif(opened(exif_with_gps(latitude=0, longitude=0)))

    assert facts.gps is None


def test_it_keeps_make_and_model_apart_and_names_the_camera_once():
    facts = read_exif(opened(exif_with_gps(latitude=38.7, longitude=-9.1)))

    assert (facts.make, facts.model) == ("Canon", "EOS R6")
    assert facts.camera == "Canon EOS R6"
    assert facts.gps == pytest.approx((38.7, -9.1), abs=1e-3)


def test_one_pixel_cap_in_one_message():
    check_pixels(1000, 1000, 1_000_000)
    with pytest.raises(UnreadableMedia, match="2000x2000 pixels, more than the 1-megapixel limit"):
        check_pixels(2000, 2000, 1_000_000)


def test_it_reads_how_the_camera_exposed_the_photo():
    # A real photo: a bridge at night, 4 s at ISO 80, flash not fired.
    path = "ai_engine/evalset/tune/palapeli-cincinnati-bridge.jpg"
    with Image.open(path) as img:
        facts = read_exif(img)
    assert facts.exposure_s == 4.0
    assert facts.iso == 80
    assert facts.flash is False
    assert facts.light_ev is not None and facts.light_ev < 4  # a night scene's light


def test_exposure_in_sunlight_and_missing_exposure():
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = 1 / 1000  # ExposureTime
    sub[0x829D] = 8.0  # FNumber
    sub[0x8827] = 100  # ISO
    sub[0x9209] = 0x19  # Flash: fired (bit 0), auto mode
    facts = read_exif(opened(exif))
    assert facts.flash is True
    assert facts.light_ev == pytest.approx(15.97, abs=0.01)  # "sunny 16"
    assert read_exif(opened(Image.Exif())).light_ev is None
