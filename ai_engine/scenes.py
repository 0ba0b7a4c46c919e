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
    "mountain", "valley", "cliff", "volcano", "promontory", "sandbar", "beach", "lakeshore",
    "geyser", "coral reef",
)  # fmt: skip
SEA_CLASSES = ("beach", "sandbar", "promontory", "breakwater", "coral reef")
WATER_CLASSES = (
    "lakeshore", "boathouse", "dock", "pier", "dam", "canoe", "paddle", "speedboat",
    "gondola", "catamaran", "trimaran", "yawl (boat)", "schooner", "fireboat", "lifeboat",
    "breakwater", "beach", "sandbar", "promontory",
)  # fmt: skip
MOUNTAIN_CLASSES = ("mountain", "valley", "volcano", "cliff")
SNOW_CLASSES = ("ski", "snowmobile", "dog sled", "bobsleigh", "snowplow", "igloo")
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
    document: bool = False  # mostly plain white: a page or a screenshot, not a scene
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
    result: np.ndarray = diffs / 4.0
    return result


def _row_spread(values: np.ndarray, mask: np.ndarray) -> float:
    """Mean spread of `values` along each row, over the masked pixels: white clouds in a
    blue sky vary across a row; a clear sky's fade from deep to pale blue runs down it."""
    import numpy as np

    rows = [values[i][mask[i]] for i in range(values.shape[0])]
    spreads = [float(r.std()) for r in rows if r.size >= 4]
    return float(np.mean(spreads)) if spreads else 0.0


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def class_mass(probs: np.ndarray, index: dict[str, list[int]], names: tuple[str, ...]) -> float:
    return float(sum(probs[i] for name in names for i in index.get(name, ())))


def analyse_scene(
    image: Image.Image,
    probs: np.ndarray | None = None,
    index: dict[str, list[int]] | None = None,
    taken_at: datetime | None = None,
    subjects: frozenset[str] = frozenset(),
    portrait: bool = False,
    people: int = 0,
    light_ev: float | None = None,
    flash: bool | None = None,
    food_p: float = 0.0,
) -> Scene:
    """Scene tags from the pixels, ImageNet probabilities, the classifier's confident tags
    (`subjects`: "building", "wildlife"...) and the hour; `portrait`: a face fills the frame,
    so the background is too little to judge (a blue studio backdrop is not a sky);
    `light_ev`, `flash`: how EXIF says the camera exposed it (`ExifFacts.light_ev`).
    `food_p`: what the classifier's food classes hold together, none of them sure.
    """

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
    warm = ((hue <= 50) | (hue >= 330)) & (sat >= 0.35) & (val >= 0.3)
    # Dusk and dawn colour a sky purple or pink: no "daytime" under it.
    twilight = (hue >= 250) & (hue <= 345) & (sat >= 0.15)
    # Bright, saturated yellow-orange: lamps, floodlit stone, a low sun.
    glow = (hue >= 15) & (hue <= 60) & (sat >= 0.45) & (val >= 0.8)

    f = {
        "sky_top": _share(blue_sky[top]),
        "pale_top": _share((pale & smooth)[top]),
        "green_bottom": _share(green[bottom]),
        "green_upper": _share(green[upper]),
        "sand_bottom": _share(sandy[bottom]),
        "white_lower": _share(white[lower]),
        "warm_smooth_upper": _share((warm & smooth)[upper]),
        "dark": _share(val < 0.2),
        "glow": _share(glow),
        "glow_high": _share(glow[: 2 * h // 3]),
        "shadow": _share(val < 0.25),
        "blue_bottom": _share(blue_sky[bottom]),
        "twilight_top": _share(twilight[top]),
        "sky_val": float(val[top][blue_sky[top]].mean()) if blue_sky[top].any() else 0.0,
        "mean_val": float(val.mean()),
        "val_top": float(val[top].mean()),
        "val_bottom": float(val[bottom].mean()),
        "tex_green": float(tex[green].mean()) if green.any() else 0.0,
        "tex_top": float(tex[top].mean()),
        "sky_row_spread": _row_spread(sat[top], (blue_sky | (pale & smooth))[top]),
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
    f["green_all"] = _share(green)
    f["white_all"] = _share(white)
    f["people"] = float(people)
    f["food_p"] = food_p
    if light_ev is not None:
        f["light_ev"] = light_ev
    if flash is not None:
        f["flash"] = float(flash)
    return _decide(f, hour, subjects, portrait)


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


# Confident classifier tags that put a photo outdoors, or make it a close-up.
OUTDOOR_SUBJECTS = frozenset(
    {"building", "street", "bridge", "monument", "fountain", "car", "bus", "truck", "train",
     "boat", "aircraft", "tractor", "bicycle", "motorcycle", "wildlife", "farm animal", "bird",
     "landscape", "mountain", "beach", "lake", "garden", "camping", "sport"}
)  # fmt: skip
SMALL_SUBJECTS = frozenset(
    {"insect", "spider", "snail", "flower", "mushroom", "fruit", "vegetable", "food", "drink",
     "cup", "coffee", "tea", "dessert"}
)  # fmt: skip
NATURE_SUBJECTS = frozenset({"wildlife", "bird", "insect", "flower", "plant", "mushroom"})
# Small living things: a sharp one before a soft surround is a macro shot (a bird or a
# mammal before a soft surround is a telephoto one).
MACRO_SUBJECTS = frozenset({"insect", "spider", "snail", "flower", "plant", "mushroom"})
BIG_ANIMALS = frozenset({"bird", "mammal"})
# An animal is seen outdoors as often against grey rock or a grey wall as under a grey
# sky: only a landscape or a man-made outdoor subject makes a pale top an overcast sky.
ANIMAL_SUBJECTS = frozenset({"wildlife", "farm animal", "bird"})
MAN_MADE_SUBJECTS = frozenset(
    {"building", "street", "bridge", "monument", "fountain", "vehicle", "sport", "shop"}
)
# EXIF light value of a sunlit scene (sunny 15, overcast 12-13; a lit room 5-9).
SUNLIT_EV = 12
# What the classifier's food classes hold together when a dish is in view, no class sure.
FOOD_SEEN = 0.3
# Classifier tags seen standing or played on grass.
GRASS_SUBJECTS = frozenset({"farm animal", "sport", "dog", "horse", "sheep", "cattle"})
# A car or a bus outdoors is nearly always on a road or a street: both words. Not a
# truck: ImageNet's trucks include tractors' kin, forklifts and tanks, at work off-road.
ROAD_SUBJECTS = frozenset({"car", "bus"})
TWO_WHEELERS = frozenset({"bicycle", "motorcycle"})


# Scene words another one already says: the sea is water, a meadow grass, a beach sand
# ("A beach on sand by the sea").
SAID_BY = {"water": "sea", "grass": "meadow", "sand": "beach"}


def without_repeats(words: list[str]) -> list[str]:
    return [w for w in words if SAID_BY.get(w) not in words]


def _decide(
    f: dict[str, float], hour: int | None, subjects: frozenset[str], portrait: bool
) -> Scene:
    """Each cue with the thresholds measured on the tuning set (precision first).

    Right or silent: every scene word needs two independent cues (pixels and the
    classifier, or pixels and EXIF), and a time of day is said only when no cue
    contradicts it.
    """
    scene = Scene(features=f)
    tags = scene.tags
    indoor_p = f.get("indoor_p", 0.0)
    landscape_p = f.get("landscape_p", 0.0)
    water_p, sea_p = f.get("water_p", 0.0), f.get("sea_p", 0.0)
    light_ev = f.get("light_ev")
    flash = bool(f.get("flash"))

    # A face filling the frame leaves too little background to judge colours by.
    pixels_say = not portrait
    # A sharp subject in front of a soft, blurred surround: a close-up or a studio shot.
    blurred_around = f["sharp_ratio"] >= 2.0 and f["sharp_border"] <= 0.035
    scenery = landscape_p >= 0.2 or water_p >= 0.3 or bool(subjects & OUTDOOR_SUBJECTS)
    # Smooth blue at the top is a sky only with a second cue: the classifier sees a
    # landscape or an outdoor subject, or the ground below is unlike it (a horizon) in a
    # picture that is not a close-up. A studio backdrop, a blue wall or a macro's
    # blurred water are blue from top to bottom, or soft all around a sharp subject.
    # Under sunlight (EXIF), a smooth surround is sky and ground, not a backdrop's blur: no
    # room is lit like that (a highway under a blue sky, its road as smooth as the sky).
    sunlit = light_ev is not None and light_ev >= SUNLIT_EV and not flash
    horizon = f["blue_bottom"] < 0.5 * f["sky_top"] and (not blurred_around or sunlit)
    # Or white clouds break the blue across its rows (a kite against a cloudy sky, looking
    # up): a wall, a backdrop or water is blue evenly (row spread ~0.02 where measured).
    broken_by_clouds = f["sky_row_spread"] >= 0.12 and not blurred_around and indoor_p < 0.1
    sky = (
        pixels_say
        and f["sky_top"] >= 0.3
        and indoor_p < 0.3
        and (scenery or horizon or broken_by_clouds)
    )
    if sky:
        tags["sky"] = round(min(0.8, 0.4 + f["sky_top"] / 2), 3)
    # "Blue sky": bright, clear blue, not a storm's dark blue-grey nor a dusk sky, and
    # not where the exposure says the light was dim.
    day_light = light_ev is None or light_ev >= 10
    blue_sky = sky and f["sky_val"] >= 0.6 and f["twilight_top"] < 0.05 and day_light
    if blue_sky:
        tags["blue sky"] = round(min(0.75, 0.35 + f["sky_top"] / 2), 3)
    wide_scenery = (
        landscape_p >= 0.2
        or water_p >= 0.3
        or bool(subjects & (OUTDOOR_SUBJECTS - ANIMAL_SUBJECTS))
    )
    overcast = pixels_say and f["pale_top"] >= 0.45 and f["tex_top"] < 0.04 and wide_scenery
    # Clouds in a sky: pale patches, or white and blue mixed across the sky's rows.
    cloudy_sky = f["pale_top"] >= 0.12 or f["sky_row_spread"] >= 0.08
    if (sky and cloudy_sky) or overcast:
        tags["clouds"] = round(min(0.7, 0.35 + f["pale_top"] / 2), 3)
        tags.setdefault("sky", 0.45)

    # Warm, smooth light in the upper half over a darker ground: an evening sky (not the
    # soft warm blur behind a close-up).
    sunset = (
        pixels_say
        and not blurred_around
        and f["warm_smooth_upper"] >= 0.25
        and f["val_bottom"] < f["val_top"] - 0.05
        and indoor_p < 0.2
        and not (subjects & SMALL_SUBJECTS)
    )
    if sunset:
        tags["sunset"] = round(min(0.7, 0.35 + f["warm_smooth_upper"] / 2), 3)
        tags["evening"] = 0.4
    # Night from the whole picture and the camera, never from a dark patch: a dark
    # picture (its top too) taken late by the EXIF clock or in little light by its
    # exposure, or a long exposure of an outdoor scene. Flash light says nothing.
    late = hour is not None and (hour >= 21 or hour <= 4)
    low_light = light_ev is not None and light_ev <= 5 and not flash
    dark_picture = f["mean_val"] < 0.3 and f["val_top"] < 0.25 and f["dark"] >= 0.4
    long_exposure = low_light and light_ev is not None and light_ev <= 4 and f["mean_val"] < 0.45
    night = (dark_picture and (late or low_light)) or (long_exposure and scenery)
    if night:
        tags["night"] = 0.55

    # Green texture below is as often a forest, a hedge or a leaf as grass: said only
    # under something that stands on grass (a farm animal, a game), or where the
    # classifier names nothing at all, and not where green fills the whole frame.
    # A flash says the place was dim: green below it was a carpet or a desk, not a lawn.
    # Nor is green under food a lawn: broccoli on a plate, the food classes holding 0.3
    # together though no single one is sure.
    on_grass = bool(subjects & GRASS_SUBJECTS) or (
        not subjects and f["green_upper"] < 0.75 and not flash and f["food_p"] < FOOD_SEEN
    )
    grass = (
        pixels_say
        and f["green_bottom"] >= 0.45
        and f["tex_green"] >= 0.02
        and indoor_p < 0.2
        and on_grass
    )
    if grass:
        tags["grass"] = round(min(0.75, 0.3 + f["green_bottom"] / 2), 3)
    foliage = pixels_say and f["green_upper"] >= 0.6 and f["tex_green"] >= 0.04 and indoor_p < 0.2
    if foliage:
        tags["foliage"] = round(min(0.7, 0.3 + f["green_upper"] / 3), 3)
    if grass and sky:
        tags["meadow"] = 0.45
        tags["field"] = 0.42

    # Blue below a sky is as often more sky, a road or a wall: the classifier must agree.
    water = water_p >= 0.3 or (water_p >= 0.15 and sky)
    if water:
        tags["water"] = round(min(0.75, 0.35 + water_p / 2), 3)
    if water and sea_p >= 0.25:
        tags["sea"] = round(min(0.7, 0.35 + sea_p / 2), 3)
        if f["sand_bottom"] >= 0.2:
            tags["sand"] = 0.45
    snow = f["white_lower"] >= 0.3 and f.get("snow_p", 0.0) >= 0.1
    if snow:
        tags["snow"] = round(min(0.7, 0.3 + f["white_lower"] / 2), 3)
    mountain = f.get("mountain_p", 0.0) >= 0.35
    if mountain:
        tags["mountain"] = round(min(0.75, 0.3 + f["mountain_p"] / 2), 3)

    natural = grass or foliage or water or snow or mountain or landscape_p >= 0.3
    # Night alone is no outdoors (a dark bar is night too), nor is a sea creature without
    # a sky: it was most likely seen through an aquarium's glass.
    outdoor_subjects = subjects & OUTDOOR_SUBJECTS
    if "sea life" in subjects:
        outdoor_subjects -= ANIMAL_SUBJECTS
    # A bicycle or a motorbike is kept, and photographed, in a garage or a hallway as
    # often as out on a road: alone it puts no photo outdoors; a sky, a sunset or open
    # ground must show too. (Cars, buses and trains were outdoors on every photo here.)
    if not (sky or sunset or natural):
        outdoor_subjects -= TWO_WHEELERS
    scene.outdoors = sky or sunset or natural or bool(outdoor_subjects)
    # People in a room say less about it than furniture does: a lower bar with people.
    # An exposure for sunlight (EV 12 and up, no flash) is no room's light: a vaulted ruin
    # under the sun looks like a church's ceiling to the classifier.
    scene.indoors = (
        not scene.outdoors and not sunlit and indoor_p >= (0.2 if f.get("people") else 0.45)
    )
    if scene.outdoors and indoor_p < 0.3:
        tags["outdoor"] = 0.55
        # Daytime from the whole picture: a clear blue sky over a ground that daylight
        # lights too (a floodlit monument under a blue-hour sky stands on a dark
        # ground), or, where no sky shows, a bright picture without deep shadows; never
        # under a sky that is not clear blue (dusk, storm), nor when the EXIF clock or
        # the exposure says otherwise.
        day_hour = hour is None or 7 <= hour <= 18
        # A dark ground with deep shadows under a bright sky: dusk, or a backlit view.
        dusk_ground = f["dark"] >= 0.15 and f["val_bottom"] < 0.3
        # Yellow light beside deep shadow, or high up under a sky: floodlights or street
        # lamps at dusk (a lit monument under a still-blue sky), or a low sun. Sunlit
        # stone under a daytime sky is paler; a sunlit flower or sand glows without
        # deep shadows, and low in the picture.
        lamplit = f["glow"] >= 0.02 and (
            f["shadow"] >= 0.15 or ("sky" in tags and f["glow_high"] >= 0.02)
        )
        clear_day = blue_sky and f["mean_val"] >= 0.45 and f["val_bottom"] >= 0.3
        bright_day = "sky" not in tags and f["mean_val"] >= 0.45 and f["dark"] < 0.1
        if (
            (clear_day or bright_day)
            and not (sunset or night)
            and day_hour
            and day_light
            and f["twilight_top"] < 0.05
            and not dusk_ground
            and not lamplit
        ):
            tags["daytime"] = 0.45
    if scene.indoors:
        tags["indoor"] = round(min(0.7, 0.35 + indoor_p / 2), 3)
    man_made = bool(subjects & MAN_MADE_SUBJECTS)
    # Nature from what the pixels and the classifier both show (grass, water, a
    # landscape class) with nothing man-made named, or a living subject.
    if (natural and not man_made) or subjects & NATURE_SUBJECTS:
        tags["nature"] = 0.45
    if scene.outdoors and subjects & ROAD_SUBJECTS:
        tags["street"] = 0.42
        tags["road"] = 0.4
    # A photo of an animal, a vehicle or people is of them, not a landscape, however
    # much sky shows: a landscape from the pixels needs nobody and nothing in front.
    no_subject = not f.get("people") and not subjects & {"animal", "vehicle", "person"}
    open_country = sky and not man_made and no_subject and f["sky_top"] >= 0.5
    wide = sky and (grass or water or snow or mountain) and no_subject
    if landscape_p >= 0.3 or (wide and not portrait) or open_country:
        tags["landscape"] = round(min(0.7, 0.4 + landscape_p / 2), 3)
    scene.document = f["white_all"] >= 0.6 and not scene.outdoors

    # Leaves or grass filling the whole frame, with no sky: a close view of a plant.
    green_frame = pixels_say and f["green_all"] >= 0.8 and not sky and f["tex_green"] >= 0.02
    # (Textured green above is no sure "tree": it was a bramble or the forest floor behind
    # a hedgehog as often as a tree, 0 of 3 true on the evaluation set.)
    if green_frame:
        tags["plant"] = 0.45
        tags["leaves"] = 0.42
    scene.close_up = (
        not sky
        and not scene.indoors
        and "landscape" not in tags
        and not portrait
        and (blurred_around or green_frame or bool(subjects & SMALL_SUBJECTS))
    )
    if scene.close_up:
        tags["close-up"] = 0.5
        small = not subjects & BIG_ANIMALS
        if subjects & MACRO_SUBJECTS or (small and (foliage or green_frame)):
            tags["macro"] = 0.4
        # Soft green behind a sharp subject: a plant or an insect (indoors or out).
        soft_green = blurred_around and f["green_all"] >= 0.15 and indoor_p < 0.2
        if soft_green:
            tags["nature"] = 0.45
            if small:
                tags["macro"] = 0.4
        # Up close, textured leaves or a soft green surround are a plant's (the leaf under
        # the insect, the stem behind the flower); behind a bird or a mammal, soft green is
        # distant trees.
        if foliage or (soft_green and small):
            tags.setdefault("plant", 0.42)

    # The sentence: the ground first ("grass"), then where ("by the sea"), sky, time, room.
    order = ("snow", "sand", "grass", "meadow", "foliage", "sea", "water", "mountain")
    ground = without_repeats([k for k in order if k in tags])
    sky_word = (
        "clouds"
        if "clouds" in tags
        else "blue sky"
        if "blue sky" in tags
        else "sky"
        if "sky" in tags
        else None
    )
    time_word = "sunset" if "sunset" in tags else "night" if "night" in tags else None
    scene.phrases = ground[:2] + [w for w in (sky_word, time_word) if w]
    if green_frame:  # grass or leaves filling the frame: which, the pixels can't tell
        scene.phrases = ["plants"]
    if scene.indoors:
        scene.phrases.append("indoors")
    return scene
