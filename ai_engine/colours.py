"""Dominant colour names and black-and-white detection, from a tiny thumbnail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# Hue ranges in degrees (upper bound exclusive), checked in order after the neutrals.
_HUES = (
    (15, "red"),
    (40, "orange"),
    (68, "yellow"),
    (165, "green"),
    (200, "cyan"),
    (255, "blue"),
    (290, "purple"),
    (345, "pink"),
    (361, "red"),
)
MIN_SHARE = 0.12  # a colour covering less of the picture is not "dominant"
MAX_COLOURS = 3


@dataclass(frozen=True)
class ColourFacts:
    colours: list[str]  # most dominant first
    shares: dict[str, float]
    black_and_white: bool


def analyse_colours(img: Image.Image) -> ColourFacts:
    import numpy as np

    small = img.convert("RGB").resize((64, 64))
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    hue, sat, val = hsv[..., 0] * 360.0, hsv[..., 1], hsv[..., 2]

    names = np.full(hue.shape, "", dtype=object)
    for upper, name in reversed(_HUES):
        names[hue < upper] = name
    # Dark, weakly saturated oranges and reds read as brown to people.
    names[(names == "orange") & (val < 0.65)] = "brown"
    names[(names == "red") & (val < 0.45) & (sat < 0.7)] = "brown"
    names[sat < 0.15] = "grey"
    names[(val > 0.85) & (sat < 0.12)] = "white"
    names[val < 0.16] = "black"

    total = names.size
    values, counts = np.unique(names, return_counts=True)
    shares = {str(v): float(c) / total for v, c in zip(values, counts, strict=True)}
    dominant = [n for n, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s >= MIN_SHARE]

    rgb = np.asarray(small, dtype=np.int16)
    spread = rgb.max(axis=2) - rgb.min(axis=2)  # 0 for a perfectly grey pixel
    black_and_white = float(np.mean(spread > 24)) < 0.02 and float(np.mean(spread)) < 8.0
    return ColourFacts(
        colours=dominant[:MAX_COLOURS] or [max(shares, key=shares.__getitem__)],
        shares=shares,
        black_and_white=black_and_white,
    )
