"""Clouds in a blue sky and a clear sky left clear; a plant up close, none behind a bird.

Photos from ai_engine/evalset. Clouds show as white and blue mixed across each row of the
sky; a clear sky only fades from deep to pale blue down the picture.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ai_engine import analyze
from ai_engine.scenes import analyse_scene

TUNE = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset" / "tune"


@pytest.mark.parametrize("name", ["mate-storm.jpg", "gcompris-great-wall.jpg"])
def test_clouds_mixed_into_a_blue_sky_are_seen(ctx, name):
    result = analyze(str(TUNE / name), context=ctx)
    assert {"sky", "clouds"} <= set(result.tag_names)
    assert "cloudy sky" in result.description


@pytest.mark.parametrize("name", ["gcompris-eiffel-tower.jpg", "gcompris-reims-cathedral.jpg"])
def test_a_clear_sky_has_no_clouds(name):
    scene = analyse_scene(Image.open(TUNE / name))
    # The fade from deep to pale blue runs down the sky, not across it.
    assert scene.features["sky_row_spread"] < 0.04
    assert "clouds" not in scene.tags


def test_a_plant_under_an_insect_up_close(ctx):
    # A butterfly's wings over soft green stems: the green surround is a plant's.
    result = analyze(str(TUNE / "mate-two-wings.jpg"), context=ctx)
    assert {"close-up", "plant"} <= set(result.tag_names)


def test_no_plant_behind_a_flying_bird(ctx):
    # Soft green behind a heron is distant trees, not a plant up close.
    holdout2 = TUNE.parent / "holdout2"
    result = analyze(str(holdout2 / "gcompris-heron.jpg"), context=ctx)
    assert "bird" in result.tag_names
    assert "plant" not in result.tag_names
