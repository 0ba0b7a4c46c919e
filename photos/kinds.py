"""What each kind of item does differently, in one place (healthchecks' Channel TRANSPORTS).

Everything else reads the one `MediaItem` table and asks this registry when a
kind matters: its proxy model, its words, its files, the engine function that
analyses it and the Celery tasks the checklist names. Nothing outside this
module maps kinds to models.
"""

from __future__ import annotations

from dataclasses import dataclass

from photos.models import MediaItem, MediaKind, Photo, Video


@dataclass(frozen=True)
class Kind:
    name: str  # the `kind` column's value: "photo"
    label: str  # "Photo"
    plural: str  # "photos": URLs and figures per kind
    model: type[MediaItem]  # the proxy whose manager holds only this kind
    variants: tuple[str, ...]  # stored files a viewer may fetch (see photos.media_serving)
    detail_template: str
    analyze: str  # the ai_engine function that analyses the original
    process_task: str  # Celery task for one item (the checklist's name)
    batch_task: str  # Celery task for the nightly batch of this kind
    beat_entry: str  # its entry in the beat schedule

    def __str__(self) -> str:
        return self.name


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name=MediaKind.PHOTO.value,
            label="Photo",
            plural="photos",
            model=Photo,
            variants=("original", "thumbnail"),
            detail_template="photos/photo_detail.html",
            analyze="analyze",
            process_task="photos.tasks.process_photo_ai",
            batch_task="photos.tasks.process_pending_photos_task",
            beat_entry="process_pending_photos",
        ),
        Kind(
            name=MediaKind.VIDEO.value,
            label="Video",
            plural="videos",
            model=Video,
            variants=("original", "thumbnail", "poster"),
            detail_template="photos/video_detail.html",
            analyze="analyze_video",
            process_task="photos.tasks.process_video_ai",
            batch_task="photos.tasks.process_pending_videos_task",
            beat_entry="process_pending_videos",
        ),
    )
}
BY_PLURAL: dict[str, Kind] = {kind.plural: kind for kind in KINDS.values()}


def kind_of(item: MediaItem) -> Kind:
    return KINDS[item.kind]


def kind_get(name: str) -> Kind | None:
    """The kind called `name` ("photo") or None, for input from outside (forms, messages)."""
    return KINDS.get(name)


class KindConverter:
    """`<kind:kind>` in a URL: "photos" or "videos", any other word is no match (404).

    Reversing takes a Kind or a kind's name: reverse("item-detail", args=["photo", 3]).
    """

    regex = "[a-z]+"

    def to_python(self, value: str) -> Kind:
        kind = BY_PLURAL.get(value)
        if kind is None:
            raise ValueError(value)  # Django reads ValueError as "no match"
        return kind

    def to_url(self, value: Kind | str) -> str:
        kind = value if isinstance(value, Kind) else KINDS.get(value) or BY_PLURAL.get(value)
        if kind is None:
            raise ValueError(value)  # NoReverseMatch for the caller
        return kind.plural
