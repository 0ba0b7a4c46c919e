"""Location stripping on files uploads in the share tests lack: XMP, IPTC, top-level boxes."""

from __future__ import annotations

import io
import struct

import pytest

from photos.location_strip import NotStrippable, without_location
from tests.samples import exif_with_gps, photo_image
from tests.share.conftest import gps_of, located_mp4, video_facts

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.5N"'
    b' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Paris"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def stripped(data: bytes, content_type: str, byte_range=None) -> bytes:
    return b"".join(without_location(io.BytesIO(data), content_type, byte_range))


def test_it_drops_xmp_and_iptc_segments_from_a_jpeg():
    buffer = io.BytesIO()
    exif = exif_with_gps(latitude=48.8584, longitude=2.2945)
    photo_image("coffee").save(buffer, "JPEG", exif=exif, xmp=XMP)
    data = buffer.getvalue()
    # An IPTC (Photoshop APP13) segment naming the city, right after SOI.
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x5a\x00\x05Paris"
    data = data[:2] + b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc + data[2:]
    assert b"GPSLatitude" in data and b"Paris" in data and gps_of(data)

    clean = stripped(data, "image/jpeg")
    assert b"Paris" not in clean and b"GPSLatitude" not in clean
    assert gps_of(clean) == {}


def test_it_blanks_a_top_level_metadata_box_of_a_video_and_serves_ranges_across_it():
    video = located_mp4()
    # A uuid box (where XMP lives in MP4) appended after the rest: no offset moves.
    uuid_box = struct.pack(">I", 8 + 16 + len(XMP)) + b"uuid" + bytes(16) + XMP
    data = video + uuid_box
    clean = stripped(data, "video/mp4")
    assert len(clean) == len(data)
    assert b"Paris" not in clean and b"loci" not in clean
    assert clean[len(video) + 4 : len(video) + 8] == b"free"
    assert video_facts(clean)[1] == 10
    first, last = len(video) - 20, len(data) - 10
    assert stripped(data, "video/mp4", (first, last)) == clean[first : last + 1]


def test_it_refuses_a_file_it_cannot_parse():
    with pytest.raises(NotStrippable):
        stripped(b"\xff\xd8\xff\xe1\x00", "image/jpeg")
    with pytest.raises(NotStrippable):
        stripped(b"\x00\x00\x00\x10notmp4!!", "video/mp4")
