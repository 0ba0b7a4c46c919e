"""Scene cues the ImageNet classifier can't name: sky, grass, sea, snow, night...

Cheap and explainable: colour, brightness and texture statistics of the image's top,
middle and bottom bands on a 96-pixel thumbnail (a few milliseconds), plus the
classifier's own landscape and indoor classes, plus EXIF's hour. Each cue asks for
enough of the picture that a patch of blue wall is not "sky" (precision over recall:
an unsaid "sky" costs less than a wrong one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

THUMB_SIDE = 96

# ImageNet classes that are themselves landscapes (summed probability).
LANDSCAPE_CLASSES = (
    "alp", "valley", "cliff", "volcano", "promontory", "sandbar", "seashore", "lakeshore",
    "geyser", "coral reef", "shoal",
)  # fmt: skip
SEA_CLASSES = ("seashore", "sandbar", "promontory", "breakwater", "shoal", "coral reef")
WATER_CLASSES = (
    "lakeshore", "boathouse", "dock", "pier", "dam", "canoe", "paddle", "speedboat",
    "gondola", "catamaran", "trimaran", "yawl (boat)", "schooner", "fireboat", "lifeboat",
    "breakwater", "seashore", "sandbar", "promontory",
)  # fmt: skip
MOUNTAIN_CLASSES = ("alp", "valley", "volcano", "cliff", "mountain")
SNOW_CLASSES = ("alp", "ski", "snowmobile", "dog sled", "bobsleigh", "snowplow", "igloo")
# Rooms and things that live indoors: a sure sign of an inside view.
INDOOR_CLASSES = (
    "dining table", "desk", "couch", "four-poster bed", "bookcase", "china cabinet",
    "wardrobe", "entertainment center (furniture)", "home theater", "library", "restaurant",
    "bakery", "barbershop", "bookstore", "grocery store", "shoe store", "toy store",
    "tobacco shop", "butcher shop", "candy store", "movie theater", "desktop computer",
    "monitor", "computer keyboard", "laptop computer", "television", "microwave oven",
    "refrigerator", "dishwasher", "stove", "toaster", "washing machine", "window shade",
    "lampshade", "table lamp", "quilt", "pillow", "studio couch", "rocking chair",
    "folding chair", "barber chair", "medicine cabinet", "shower curtain", "bathtub",
    "toilet seat", "washbasin", "vaulted or arched ceiling", "altar", "pipe organ",
    "prison", "chiffonier", "filing cabinet", "printer", "photocopier", "sliding door",
    "wall clock", "grand piano", "upright piano", "plate", "wine bottle", "soup bowl",
)  # fmt: skip


@dataclass
class Scene:
    """What the pixels say about where the photo was taken, as tag keys."""

    tags: dict[str, float] = field(default_factory=dict)  # tag key -> confidence
    phrases: list[str] = field(default_factory=list)  # scene keys for the sentence, in order
    outdoors: bool = False
    indoors: bool = False
    close_up: bool = False
    features: dict[str, float] = field(default_factory=dict)  # for tuning and explanation


def _hsv(image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    small = image.convert("RGB")
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    grey = np.asarray(small.convert("L"), dtype=np.float32) / 255.0
    return hsv[..., 0] * 360.0, hsv[..., 1], hsv[..., 2], grey


def _texture(grey: np.ndarray) -> np.ndarray:
    """Mean absolute difference to the four neighbours: 0 on a clear sky, ~0.1+ on grass."""
    import numpy as np

    padded = np.pad(grey, 1, mode="edge")
    centre = padded[1:-1, 1:-1]
    diffs = (
        np.abs(centre - padded[:-2, 1:-1])
        + np.abs(centre - padded[2:, 1:-1])
        + np.abs(centre - padded[1:-1, :-2])
        + np.abs(centre - padded[1:-1, 2:])
    )
    return diffs / 4.0


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def class_mass(probs: np.ndarray, index: dict[str, list[int]], names: tuple[str, ...]) -> float:
    return float(sum(probs[i] for name in names for i in index.get(name, ())))


def analyse_scene(
    image: Image.Image,
    probs: np.ndarray | None = None,
    index: dict[str, list[int]] | None = None,
    taken_at: datetime | None = None,
) -> Scene:
    """Scene tags from the pixels (and, when given, ImageNet probabilities and the hour)."""

    hue, sat, val, grey = _hsv(image)
    tex = _texture(grey)
    h = hue.shape[0]
    top, bottom = slice(0, h // 3), slice(2 * h // 3, h)
    upper, lower = slice(0, h // 2), slice(h // 2, h)

    smooth = tex < 0.025
    blue_sky = (hue >= 185) & (hue <= 250) & (sat >= 0.12) & (sat <= 0.9) & (val >= 0.4) & smooth
    pale = (sat < 0.16) & (val >= 0.62)
    white = (sat < 0.14) & (val >= 0.72)
    green = (hue >= 55) & (hue <= 170) & (sat >= 0.18) & (val >= 0.12)
    sandy = (hue >= 20) & (hue <= 55) & (sat >= 0.1) & (sat <= 0.6) & (val >= 0.5)
    watery = (hue >= 165) & (hue <= 245) & (sat >= 0.12) & (val >= 0.2)
    warm = ((hue <= 50) | (hue >= 330)) & (sat >= 0.35) & (val >= 0.3)
    dark = val < 0.2
    bright_spot = val > 0.85

    f = {
        "sky_top": _share(blue_sky[top]),
        "pale_top": _share((pale & smooth)[top]),
        "green_all": _share(green),
        "green_bottom": _share(green[bottom]),
        "green_upper": _share(green[upper]),
        "sand_bottom": _share(sandy[bottom]),
        "water_mid_bottom": _share(watery[h // 3 :] & ~green[h // 3 :]),
        "white_lower": _share(white[lower]),
        "warm_upper": _share(warm[upper]),
        "dark": _share(dark),
        "bright_spots": _share(bright_spot),
        "mean_val": float(val.mean()),
        "tex_all": float(tex.mean()),
        "tex_green": float(tex[green].mean()) if green.any() else 0.0,
        "tex_top": float(tex[top].mean()),
        "tex_bottom": float(tex[bottom].mean()),
    }
    f.update(_sharpness(grey))
    if probs is not None and index is not None:
        f["landscape_p"] = class_mass(probs, index, LANDSCAPE_CLASSES)
        f["sea_p"] = class_mass(probs, index, SEA_CLASSES)
        f["water_p"] = class_mass(probs, index, WATER_CLASSES)
        f["mountain_p"] = class_mass(probs, index, MOUNTAIN_CLASSES)
        f["snow_p"] = class_mass(probs, index, SNOW_CLASSES)
        f["indoor_p"] = class_mass(probs, index, INDOOR_CLASSES)
    hour = taken_at.hour if taken_at else None
    return _decide(f, hour)


def _sharpness(grey: np.ndarray) -> dict[str, float]:
    """Detail in the centre against the border: a close-up has a sharp subject, soft edges."""
    import numpy as np

    lap = np.abs(
        4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    )
    h, w = lap.shape
    centre = lap[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    border = np.concatenate([lap[: h // 6].ravel(), lap[-h // 6 :].ravel()])
    c, b = float(centre.mean()), float(border.mean()) if border.size else 0.0
    return {"sharp_centre": c, "sharp_border": b, "sharp_ratio": c / max(b, 1e-3)}


def _decide(f: dict[str, float], hour: int | None) -> Scene:
    scene = Scene(features=f)
    tags = scene.tags
    indoor_p = f.get("indoor_p", 0.0)
    landscape_p = f.get("landscape_p", 0.0)

    night = f["mean_val"] < 0.25 and f["dark"] >= 0.55 and 0.002 <= f["bright_spots"] <= 0.15
    if night and (hour is None or hour >= 19 or hour <= 6):
        tags["night"] = 0.6

    sky = f["sky_top"] >= 0.3 and indoor_p < 0.3
    if sky:
        tags["sky"] = round(min(0.9, 0.4 + f["sky_top"]), 3)
    clouds = sky and f["pale_top"] >= 0.12
    if clouds:
        tags["clouds"] = round(min(0.85, 0.35 + f["pale_top"]), 3)

    sunset = (
        f["warm_upper"] >= 0.3 and f["mean_val"] < 0.6 and f["tex_top"] < 0.04 and indoor_p < 0.2
    )
    if sunset:
        tags["sunset"] = round(min(0.85, 0.3 + f["warm_upper"]), 3)

    outdoor_hint = sky or sunset or landscape_p >= 0.2
    grass = f["green_bottom"] >= 0.45 and f["tex_green"] >= 0.03 and indoor_p < 0.2
    if grass:
        tags["grass"] = round(min(0.85, 0.3 + f["green_bottom"] / 2), 3)
    foliage = f["green_upper"] >= 0.4 and f["tex_green"] >= 0.04 and indoor_p < 0.2
    if foliage:
        tags["foliage"] = round(min(0.85, 0.3 + f["green_upper"] / 2), 3)
    if grass and outdoor_hint and not foliage:
        tags["meadow"] = 0.45

    water = f["water_mid_bottom"] >= 0.3 and (sky or f.get("water_p", 0.0) >= 0.15)
    sea = water and (f.get("sea_p", 0.0) >= 0.1 or f["sand_bottom"] >= 0.2)
    if water:
        tags["water"] = round(min(0.8, 0.3 + f["water_mid_bottom"] / 2), 3)
    if sea:
        tags["sea"] = 0.6
    sand = f["sand_bottom"] >= 0.35 and (sky or sea or f.get("sea_p", 0.0) >= 0.15)
    if sand:
        tags["sand"] = round(min(0.8, 0.3 + f["sand_bottom"] / 2), 3)
    if sand and (sea or water):
        tags["beach"] = 0.6

    snow = f["white_lower"] >= 0.35 and (f.get("snow_p", 0.0) >= 0.1 or (sky and not sand))
    if snow:
        tags["snow"] = round(min(0.8, 0.3 + f["white_lower"] / 2), 3)
    mountain = f.get("mountain_p", 0.0) >= 0.25
    if mountain:
        tags["mountain"] = round(min(0.85, 0.3 + f["mountain_p"]), 3)

    natural = grass or foliage or water or snow or mountain or landscape_p >= 0.25
    scene.outdoors = outdoor_hint or natural or night
    scene.indoors = not scene.outdoors and indoor_p >= 0.35
    if scene.outdoors:
        tags["outdoors"] = 0.5
    if scene.indoors:
        tags["indoors"] = round(min(0.8, 0.3 + indoor_p / 2), 3)
    if natural:
        tags["nature"] = 0.45
    wide = sky and (grass or water or snow or mountain or sand)
    if landscape_p >= 0.3 or (wide and not scene.indoors):
        tags["landscape"] = round(min(0.85, 0.35 + landscape_p), 3)

    scene.close_up = (
        f["sharp_ratio"] >= 2.5 and f["sharp_border"] < 0.03 and not sky and not scene.indoors
    )
    if scene.close_up:
        tags["close-up"] = 0.5

    # The sentence: the ground first ("grass"), then where ("by the sea"), sky, time, room.
    order = ("foliage", "snow", "sand", "grass", "meadow", "sea", "water", "mountain")
    ground = [k for k in order if k in tags]
    if "sea" in ground and "water" in ground:
        ground.remove("water")
    if "meadow" in ground and "grass" in ground:
        ground.remove("grass")
    sky_word = "clouds" if "clouds" in tags else "sky" if "sky" in tags else None
    time_word = "sunset" if "sunset" in tags else "night" if "night" in tags else None
    scene.phrases = ground[:2] + [w for w in (sky_word, time_word) if w]
    if scene.indoors:
        scene.phrases.append("indoors")
    return scene
