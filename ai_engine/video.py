"""Videos: a few frames decoded with PyAV, each analysed, merged into one Analysis."""

from __future__ import annotations

import io
import os
import re
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Union

from .errors import UnreadableMedia
from .face_groups import distinct_faces
from .media import MAX_WORK_SIDE, ExifFacts, Prepared, is_empty
from .pipeline import analyze_prepared, finish_tags
from .registry import get_registry
from .settings import Context
from .types import Analysis, ScoredTag

if TYPE_CHECKING:
    from PIL import Image

    from .describe import Facts

VideoSource = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]

# The spec's frame is the middle one; the quarter points catch what else the video shows.
POSITIONS = (0.25, 0.5, 0.75)
MAX_FRAMES_AFTER_SEEK = 300  # seeking lands on a keyframe; decode at most this far on
MAX_SUBJECTS = 3
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


@dataclass
class Frames:
    images: list[Image.Image]
    duration_s: float
    width: int
    height: int
    exif: ExifFacts


def analyze_video(source: VideoSource, context: Context | None = None) -> Analysis:
    """Describe and tag a video from frames at 25%, 50% and 75% of its length."""
    context = context or Context()
    settings = context.settings
    started = time.perf_counter()
    frames = read_frames(source)
    timings: dict[str, float] = {"decode": time.perf_counter() - started}
    registry = context.registry or get_registry()
    backend = registry.backend(settings)

    results: list[tuple[Analysis, Facts]] = []
    # A backend that batches (transformers) runs its models on all the frames at once.
    batched = getattr(backend, "frames_batched", None)
    with batched(frames.images, timings, settings) if batched else nullcontext():
        for image in frames.images:
            prepared = Prepared(
                image=image, width=frames.width, height=frames.height, exif=frames.exif
            )
            frame_timings: dict[str, float] = {}
            results.append(analyze_prepared(prepared, backend, registry, settings, frame_timings))
            for stage, seconds in frame_timings.items():
                timings[stage] = timings.get(stage, 0.0) + seconds

    analysis = _merge(results, frames)
    facts = _merge_facts(results, frames)
    analysis.description = backend.describe_video(facts, [a.description for a, _ in results])
    finish_tags(analysis, settings)
    timings["total"] = time.perf_counter() - started
    analysis.timings = {k: round(v, 4) for k, v in timings.items()}
    return analysis


def read_frames(source: VideoSource, positions: tuple[float, ...] = POSITIONS) -> Frames:
    import av

    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)) and os.path.getsize(source) == 0:
        raise UnreadableMedia("The file is empty.")
    if not isinstance(source, (str, os.PathLike)) and is_empty(source):
        raise UnreadableMedia("The file is empty.")
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableMedia("The file is not a video that can be decoded.") from exc
    with container:
        if not container.streams.video:
            raise UnreadableMedia("The file has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = _duration(container, stream)
        images = []
        # Unknown length (some streams don't say): the first frame is all we can aim at.
        for fraction in positions if duration > 0 else positions[:1]:
            image = _frame_at(container, stream, duration * fraction)
            if image is not None:
                images.append(image)
        if not images:
            raise UnreadableMedia("The video has no frame that can be decoded.")
        width = stream.codec_context.width or images[0].width
        height = stream.codec_context.height or images[0].height
        if (images[0].width > images[0].height) != (width > height):
            width, height = height, width  # displayed rotated a quarter turn
        return Frames(images, duration, width, height, _metadata(container.metadata))


def _duration(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        import av

        return float(container.duration / av.time_base)
    return 0.0


def _frame_at(container: Any, stream: Any, seconds: float) -> Image.Image | None:
    import av

    try:
        if seconds > 0 and stream.time_base:
            target = int(seconds / stream.time_base) + (stream.start_time or 0)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        else:
            container.seek(0)
        last = None
        for count, frame in enumerate(container.decode(stream)):
            last = frame
            if frame.time is None or frame.time >= seconds or count >= MAX_FRAMES_AFTER_SEEK:
                break
    except (av.FFmpegError, OSError, ValueError):
        return None  # a damaged stretch; the other positions may still decode
    return _to_image(last) if last is not None else None


def _to_image(frame: Any) -> Image.Image:
    # Scale in swscale while converting: much cheaper than a full-size RGB 4K frame.
    scale = min(1.0, MAX_WORK_SIDE / max(frame.width, frame.height))
    width, height = max(2, int(frame.width * scale)), max(2, int(frame.height * scale))
    image: Image.Image = frame.to_image(width=width, height=height)
    # Phones store portrait video sideways plus a display matrix; PyAV reports its
    # angle counter-clockwise, the direction PIL's rotate() turns.
    rotation = round(getattr(frame, "rotation", 0) or 0) % 360
    return image.rotate(rotation, expand=True) if rotation else image


def _metadata(meta: dict[str, str]) -> ExifFacts:
    taken_at = None
    created = meta.get("creation_time", "")
    if created:
        try:
            taken_at = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            taken_at = None
    gps = None
    location = meta.get("location") or meta.get("com.apple.quicktime.location.ISO6709", "")
    match = _ISO6709.match(location)
    if match:
        gps = (float(match.group(1)), float(match.group(2)))
    return ExifFacts(taken_at=taken_at, gps=gps)


def _merge(results: list[tuple[Analysis, Facts]], frames: Frames) -> Analysis:
    analyses = [a for a, _ in results]
    middle = analyses[len(analyses) // 2]
    count = len(analyses)
    seen: dict[str, list[ScoredTag]] = {}
    for analysis in analyses:
        for tag in analysis.tags:
            seen.setdefault(tag.name, []).append(tag)
    tags = []
    for name, found in seen.items():
        best = max(found, key=lambda t: t.score)
        # A tag seen in more frames scores higher; one seen once keeps half its score.
        score = best.score * (0.5 + 0.5 * len({id(t) for t in found}) / count)
        tags.append(ScoredTag(name, round(score, 4), best.source))
    most_faces = max(analyses, key=lambda a: a.faces)
    lines = list(dict.fromkeys(line for a in analyses for line in a.text.splitlines()))
    return Analysis(
        tags=tags,
        faces=most_faces.faces,
        face_boxes=most_faces.face_boxes,
        faces_found=distinct_faces([f for a in analyses for f in a.faces_found]),
        text="\n".join(lines),
        colours=middle.colours,
        place=middle.place,
        flags={
            "nsfw": any(a.flags.get("nsfw") for a in analyses),
            "black_and_white": all(a.flags.get("black_and_white") for a in analyses),
        },
        taken_at=frames.exif.taken_at,
        width=frames.width,
        height=frames.height,
        backend=middle.backend,
        duration_s=round(frames.duration_s, 3),
        frames_analysed=count,
        **_image_space(analyses),
    )


def _image_space(analyses: list[Analysis]) -> dict[str, Any]:
    """The frames' mean vector in image space: the video as one point (when it has one)."""
    from .image_space import mean_vector

    placed = [a for a in analyses if a.image_embedding]
    if not placed:
        return {}
    vector = mean_vector([a.image_embedding for a in placed])
    return {"image_embedding": vector.tolist(), "image_model": placed[0].image_model}


def _merge_facts(results: list[tuple[Analysis, Facts]], frames: Frames) -> Facts:
    """What the frames show most often: subjects and scenes seen in more frames come first."""
    from .describe import Facts

    all_facts = [f for _, f in results]
    order = Counter(s for f in all_facts for s in f.subjects)
    first_seen = list(dict.fromkeys(s for f in all_facts for s in f.subjects))
    subjects = sorted(first_seen, key=lambda s: -order[s])[:MAX_SUBJECTS]
    thing_order = Counter(t.key for f in all_facts for t in f.things)
    things = list({t.key: t for f in all_facts for t in f.things}.values())
    things.sort(key=lambda t: -thing_order[t.key])
    scene_order = Counter(s for f in all_facts for s in f.scenes)
    # A scene seen in one frame only is not what the video shows.
    scenes = [s for s in dict.fromkeys(s for f in all_facts for s in f.scenes)]
    scenes = [s for s in scenes if scene_order[s] * 2 > len(all_facts) or len(all_facts) == 1]
    analyses = [a for a, _ in results]
    return Facts(
        subjects=subjects,
        things=things[:MAX_SUBJECTS],
        scenes=scenes,
        faces=max(f.faces for f in all_facts),
        close_up=sum(f.close_up for f in all_facts) * 2 > len(all_facts),
        text="\n".join(dict.fromkeys(line for a in analyses for line in a.text.splitlines())),
        colours=analyses[len(analyses) // 2].colours,
        black_and_white=all(f.black_and_white for f in all_facts),
        place=analyses[len(analyses) // 2].place,
        taken_at=frames.exif.taken_at,
        duration_s=frames.duration_s,
        language=all_facts[0].language if all_facts else "en",
    )
