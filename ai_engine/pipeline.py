"""analyze(): decode, common facts (EXIF, colours, place), the backend's models, tags."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .colours import ColourFacts, analyse_colours
from .describe import Facts
from .language import country_name, normalise, tag_name
from .media import Prepared, Source, prepare
from .registry import Registry, get_registry
from .settings import Context, EngineSettings
from .types import Analysis, ScoredTag

if TYPE_CHECKING:
    from .registry import Backend


# Below this size (pixels, shorter side) colours say nothing worth a tag.
MIN_COLOUR_TAG_SIDE = 32
# "colorful": at least this many hues, each covering at least this share of the picture.
CHROMATIC = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink")
COLOURFUL_COUNT = 3
COLOURFUL_SHARE = 0.1
BLACK_AND_WHITE_SCORE = 0.9
# The least share of the picture for these colours to be a tag (others: any dominant one).
TAG_SHARE = {"grey": 0.5, "black": 0.5, "white": 0.5, "cyan": 0.3}


def _registry(context: Context) -> Registry:
    return context.registry or get_registry()


def analyze(source: Source, context: Context | None = None) -> Analysis:
    """Describe and tag one image (path, file object, bytes or PIL image)."""
    context = context or Context()
    started = time.perf_counter()
    timings: dict[str, float] = {}
    prepared = prepare(source, max_pixels=context.settings.max_pixels)
    timings["decode"] = time.perf_counter() - started
    registry = _registry(context)
    backend = registry.backend(context.settings)
    analysis, _facts = analyze_prepared(prepared, backend, registry, context.settings, timings)
    finish_tags(analysis, context.settings)
    timings["total"] = time.perf_counter() - started
    analysis.timings = {k: round(v, 4) for k, v in timings.items()}
    return analysis


def analyze_prepared(
    prepared: Prepared,
    backend: Backend,
    registry: Registry,
    settings: EngineSettings,
    timings: dict[str, float],
) -> tuple[Analysis, Facts]:
    analysis = Analysis(
        width=prepared.width,
        height=prepared.height,
        taken_at=prepared.exif.taken_at,
        camera=prepared.exif.camera,
        backend=backend.name,
    )
    facts = Facts(
        taken_at=prepared.exif.taken_at,
        light_ev=prepared.exif.light_ev,
        flash=prepared.exif.flash,
    )

    started = time.perf_counter()
    colours = analyse_colours(prepared.image)
    timings["colours"] = time.perf_counter() - started
    analysis.colours = colours.colours
    analysis.flags["black_and_white"] = colours.black_and_white
    analysis.flags.setdefault("nsfw", False)
    facts.colours, facts.black_and_white = colours.colours, colours.black_and_white
    analysis.tags.extend(colour_tags(colours, prepared.image.size))

    if prepared.exif.gps:
        started = time.perf_counter()
        place = registry.geocoder().lookup(*prepared.exif.gps)
        timings["place"] = time.perf_counter() - started
        analysis.place = facts.place = place
        if place:
            # The country by its name in the owner's language ("Australia"), as they would
            # search for it, not by its ISO code ("AU").
            country = country_name(place.country_code, settings.language)
            analysis.tags.append(ScoredTag(place.city, 1.0, "place"))
            analysis.tags.append(ScoredTag(country, 1.0, "place"))

    backend.analyze_image(prepared.image, settings, analysis, facts, timings)
    return analysis, facts


def translated(tags: list[ScoredTag], language: str) -> list[ScoredTag]:
    if normalise(language) == "en":
        return tags
    return [
        tag
        if tag.source == "place"
        else ScoredTag(tag_name(tag.name, language), tag.score, tag.source)
        for tag in tags
    ]


def colour_tags(colours: ColourFacts, size: tuple[int, int]) -> list[ScoredTag]:
    """Dominant colours as tags, so "orange" or "blue" finds a photo by its look.

    Scored by how much of the picture the colour covers (0.31-0.75), below a
    confident subject. A black-and-white photo is tagged as such, not "grey";
    an image too small to judge gets no colour tags at all. Shadows, overcast skies
    and walls make grey, black or white dominant in most photos without anyone calling
    the photo grey (measured: 8% of "grey" tags true at the dominant-colour share): those,
    and turquoise, are tags only where they fill much of the picture.
    """
    if colours.black_and_white:
        return [ScoredTag("black and white", BLACK_AND_WHITE_SCORE, "colour")]
    if min(size) < MIN_COLOUR_TAG_SIDE:
        return []
    tags = [
        ScoredTag(name, round(0.25 + colours.shares[name] / 2, 3), "colour")
        for name in colours.colours
        if colours.shares[name] >= TAG_SHARE.get(name, 0.0)
    ]
    vivid = [n for n in CHROMATIC if colours.shares.get(n, 0.0) >= COLOURFUL_SHARE]
    if len(vivid) >= COLOURFUL_COUNT:
        tags.append(ScoredTag("colorful", 0.4, "colour"))
    return tags


def finish_tags(analysis: Analysis, settings: EngineSettings) -> None:
    """One tag per name (best score), confident ones only, best first, at most max_tags.

    Where there are more than max_tags, dominant colours give way first: they say the
    least about a photo (a subject or a scene is what people search for), and they are
    true of a photo less often than the tags that name what it shows.
    Names come out in the settings' language (place names stay as the geocoder has them).
    """
    best: dict[str, ScoredTag] = {}
    for tag in translated(analysis.tags, settings.language):
        key = tag.name.lower()
        if key not in best or tag.score > best[key].score:
            best[key] = tag
    kept = [t for t in best.values() if t.score >= settings.min_confidence]
    kept.sort(key=lambda t: (_is_plain_colour(t), -t.score))
    kept = kept[: max(0, settings.max_tags)]
    kept.sort(key=lambda t: -t.score)
    analysis.tags = kept


def _is_plain_colour(tag: ScoredTag) -> bool:
    """A dominant colour ("blue", "colorful"); black and white says how the photo was taken."""
    return tag.source == "colour" and tag.score < BLACK_AND_WHITE_SCORE
