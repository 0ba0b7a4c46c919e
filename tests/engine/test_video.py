"""Videos: frames at 25/50/75% decoded with PyAV, analysed and merged."""

from __future__ import annotations

import pytest

from ai_engine import analyze_video
from ai_engine.errors import UnreadableMedia

from .conftest import make_video


@pytest.fixture(scope="module")
def cat_coffee_cat_video(tmp_path_factory, photo):
    # 4 s cat, 4 s coffee, 4 s cat: frames at 3 s, 6 s and 9 s see cat, coffee, cat.
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    return make_video(path, [photo("chelsea"), photo("coffee"), photo("chelsea")], 4.0)


def test_it_merges_what_the_frames_show(ctx, cat_coffee_cat_video):
    result = analyze_video(str(cat_coffee_cat_video), context=ctx)
    tags = {t.name: t.score for t in result.tags}
    assert result.frames_analysed == 3
    assert {"cat", "animal"} <= set(tags)
    assert {"coffee", "espresso"} & set(tags)
    # The cat is in two of three frames, the coffee in one: the cat scores higher.
    assert tags["cat"] > tags.get("coffee", tags.get("espresso", 0))


def test_it_says_how_long_the_video_is(ctx, cat_coffee_cat_video):
    result = analyze_video(str(cat_coffee_cat_video), context=ctx)
    assert result.duration_s == pytest.approx(12.0, abs=0.2)
    assert result.description.startswith("A 12-second video of")
    assert "cat" in result.description
    assert result.to_dict()["duration_s"] == result.duration_s


def test_it_reads_a_video_from_a_file_object(ctx, cat_coffee_cat_video):
    with open(cat_coffee_cat_video, "rb") as fh:
        result = analyze_video(fh, context=ctx)
    assert "cat" in result.tag_names


def test_it_refuses_a_video_with_no_decodable_frame(ctx, cat_coffee_cat_video, tmp_path):
    # Keep the MP4 boxes' start but cut the file before any frame data.
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(cat_coffee_cat_video.read_bytes()[:600])
    with pytest.raises(UnreadableMedia, match="video"):
        analyze_video(str(broken), context=ctx)


def test_it_turns_a_phone_video_upright(ctx, photo, tmp_path):
    import numpy as np

    from ai_engine.video import read_frames

    upright = photo("chelsea").resize((480, 320))
    # Stored sideways (turned clockwise) with a display matrix that turns it back,
    # as phones record portrait video.
    sideways = upright.rotate(-90, expand=True)
    path = make_video(tmp_path / "phone.mp4", [sideways], 2.0, size=(320, 480), display_rotation=90)
    frames = read_frames(str(path))
    assert (frames.width, frames.height) == (480, 320)
    middle = frames.images[1].convert("RGB").resize(upright.size)
    difference = np.abs(np.asarray(middle, float) - np.asarray(upright, float)).mean()
    assert difference < 10  # the same picture, up to compression
    assert "cat" in analyze_video(str(path), context=ctx).tag_names
