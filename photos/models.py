"""Albums, photos, videos, tags, the AI settings row and each user's preferences.

The rows are the source of truth for processing: the queue only carries ids,
and `processing_status` plus `lease_expires_at` say who owns an item's work.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


# Which moves are legal. `processing -> pending` is the reaper handing an
# expired lease back; `completed/failed -> pending` is a retry or reprocess.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    ProcessingStatus.PENDING: {ProcessingStatus.PROCESSING, ProcessingStatus.FAILED},
    ProcessingStatus.PROCESSING: {
        ProcessingStatus.COMPLETED,
        ProcessingStatus.FAILED,
        ProcessingStatus.PENDING,
        ProcessingStatus.PROCESSING,  # a redelivered task taking over an expired lease
    },
    ProcessingStatus.COMPLETED: {ProcessingStatus.PENDING},
    ProcessingStatus.FAILED: {ProcessingStatus.PENDING},
}


class IllegalTransition(ValidationError):
    pass


def check_transition(current: str, new: str) -> None:
    if new not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(f"processing_status cannot go from {current} to {new}")


class Album(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cover_photo = models.ForeignKey(
        "MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("album-detail", args=[self.pk])


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TagSource(models.TextChoices):
    AI = "ai", "AI"
    PERSON = "person", "Person"


class MediaKind(models.TextChoices):
    """What an item is; what each kind does differently lives in photos.kinds."""

    PHOTO = "photo", "Photo"
    VIDEO = "video", "Video"


class MediaItem(models.Model):
    """A photo or a video: the stored file, its facts and its AI state, in one table.

    One table (a `kind` column, as healthchecks' Check.kind) so that pages,
    search and the queue order, page and merge in SQL; `Photo` and `Video`
    below are proxies that keep the checklist's `Photo.objects...` working.
    """

    kind = models.CharField(max_length=10, choices=MediaKind.choices, db_index=True)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="items")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_items"
    )
    # Stored under a server-generated name; the client's name is kept as data only.
    original = models.FileField(max_length=255)
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size_bytes = models.BigIntegerField()
    checksum_sha256 = models.CharField(max_length=64, db_index=True)
    thumbnail = models.FileField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Videos only.
    duration_seconds = models.FloatField(null=True, blank=True)
    poster = models.FileField(max_length=255, blank=True)

    taken_at = models.DateTimeField(null=True, blank=True)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    gps_latitude = models.FloatField(null=True, blank=True)
    gps_longitude = models.FloatField(null=True, blank=True)

    processing_status = models.CharField(
        max_length=20,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.PENDING,
        db_index=True,
    )
    processing_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Whoever set `processing` owns the item until this time; after it a
    # redelivered task or the reaper may take it back.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # "host:pid" of the process holding the lease: a redelivered task on the
    # same host takes over at once when that process is dead.
    lease_holder = models.CharField(max_length=255, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    # Uploaded while auto-process was on: the sweep re-enqueues such items
    # if their message went missing.
    auto_process = models.BooleanField(default=False)
    ai_description = models.TextField(blank=True)
    # Who wrote `ai_description`: a person's text is never overwritten by reprocessing.
    description_source = models.CharField(
        max_length=10, choices=TagSource.choices, default=TagSource.AI
    )
    # Names of AI tags a person removed; reprocessing does not put them back.
    removed_tags = models.JSONField(default=list, blank=True)
    ai_analysis = models.JSONField(default=dict, blank=True)
    # The language (photos.languages) the AI wrote the description and AI tags in: the
    # owner's when it ran. Search indexes the item's words with its stemming; "" = no AI text.
    ai_language = models.CharField(max_length=10, blank=True)
    # Words of description, tags, OCR text, place, album and file name; written
    # by photos.services.search_index.item_search_index_update (PostgreSQL only).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # dHash of the picture (a video's poster), for near-duplicates; see services.duplicates.
    image_hash = models.CharField(max_length=16, blank=True, db_index=True)
    # float32 bytes of the sentence embedding of description, tags and place, for
    # meaning search; written by photos.services.vectors.items_embedding_update.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    # When `embedding` last changed (indexed): the meaning index's staleness check reads
    # its maximum, one index probe, instead of aggregating the whole table.
    embedding_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # float32 bytes of the item's unit vector in the image-text model's space (image-space
    # search, photos.services.vectors), and that model's id: vectors of another model are
    # never compared, and are computed again (b"": nothing to embed). Writing either moves
    # `embedding_updated_at` too, the one key of the cached indexes.
    image_embedding = models.BinaryField(null=True, blank=True, editable=False)
    image_embedding_model = models.CharField(max_length=200, blank=True, default="", editable=False)
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A video's id from before photos and videos shared one table (migration
    # 0005): old /videos/<id>/ links redirect through it.
    legacy_video_id = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    tags = models.ManyToManyField(Tag, through="ItemTag", related_name="items", blank=True)

    # The proxies' kind; the concrete model has none (it holds every kind).
    KIND: str = ""

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["processing_status", "uploaded_at"]),
            # The album grid's page: one album, newest first (keyset-friendly).
            models.Index(fields=["album", "-uploaded_at", "-id"], name="item_album_newest"),
            models.Index(fields=["embedding_updated_at"], name="item_embedding_updated"),
            GinIndex(fields=["search_vector"], name="item_search_vector_gin"),
            # The timeline's keyset: date taken (upload date when unknown), newest
            # first; photos.selectors.browse.EFFECTIVE_AT is the same expression.
            models.Index(
                Coalesce("taken_at", "uploaded_at").desc(),
                F("id").desc(),
                name="item_effective_date",
            ),
            # The timeline's jump list counts a user's items per month from this
            # index alone (an index-only scan), never reading the wide rows.
            models.Index(fields=["album", "taken_at", "uploaded_at"], name="item_album_dates"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MediaKind.values), name="item_kind_known"
            )
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Photo(...) and Photo.objects.create(...) are photos without saying so.
        if not self.kind and self.KIND:
            self.kind = self.KIND

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.original_filename})"

    def get_absolute_url(self) -> str:
        return reverse("item-detail", args=[self.kind, self.pk])


_Item = TypeVar("_Item", bound="MediaItem")


class KindManager(models.Manager[_Item]):
    """The items of one kind: what `Photo.objects` and `Video.objects` read."""

    def get_queryset(self) -> models.QuerySet[_Item]:
        return super().get_queryset().filter(kind=self.model.KIND)


class Photo(MediaItem):
    KIND = MediaKind.PHOTO
    objects: ClassVar[KindManager[Self]] = KindManager()

    class Meta:
        proxy = True


class Video(MediaItem):
    KIND = MediaKind.VIDEO
    objects: ClassVar[KindManager[Self]] = KindManager()

    class Meta:
        proxy = True


class ItemTag(models.Model):
    """One tag on one item, with who put it there and how sure the AI was."""

    item = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="item_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    source = models.CharField(max_length=10, choices=TagSource.choices, default=TagSource.AI)
    score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="unique_item_tag")]


class AIBackend(models.TextChoices):
    OFFLINE = "offline", "Offline models (built in)"
    TRANSFORMERS = "transformers", "Local transformers models"
    OPENAI = "openai", "OpenAI-compatible endpoint"


# Module-level functions (migrations can't serialise lambdas), read at
# row-creation time so the environment's AI_* values seed the row.
def default_auto_process() -> bool:
    return settings.AI_AUTO_PROCESS_ON_UPLOAD


def default_scheduled_processing() -> bool:
    return settings.AI_SCHEDULED_PROCESSING_ENABLED


def default_batch_size() -> int:
    return settings.AI_BATCH_SIZE


def default_processing_timeout() -> int:
    return settings.AI_PROCESSING_TIMEOUT


class AISettings(models.Model):
    """The single row of AI settings that admins edit at /ai-settings/."""

    auto_process_on_upload = models.BooleanField(default=default_auto_process)
    scheduled_processing_enabled = models.BooleanField(default=default_scheduled_processing)
    schedule_hour = models.PositiveSmallIntegerField(default=2)
    schedule_minute = models.PositiveSmallIntegerField(default=0)
    batch_size = models.PositiveIntegerField(default=default_batch_size)
    processing_timeout = models.PositiveIntegerField(default=default_processing_timeout)

    backend = models.CharField(max_length=20, choices=AIBackend.choices, default=AIBackend.OFFLINE)
    model_dir = models.CharField(max_length=500, blank=True)
    endpoint_url = models.URLField(max_length=500, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    # Fernet ciphertext (photos.services.secrets), never the key itself, and the
    # endpoint it was saved with: the key is only ever sent there.
    api_key = models.CharField(max_length=1000, blank=True)
    api_key_endpoint = models.CharField(max_length=500, blank=True)
    max_tags = models.PositiveSmallIntegerField(default=10)
    min_confidence = models.FloatField(default=0.2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI settings"
        verbose_name_plural = "AI settings"

    def __str__(self) -> str:
        return "AI settings"


class ConceptNeeds(models.TextChoices):
    """Evidence a vocabulary concept needs besides its score (the "right or silent" rule)."""

    NOTHING = "", "Nothing more"
    FACE = "face", "A face in the photo"
    TEXT = "text", "Text read in the photo"


class Concept(models.Model):
    """One tag of the transformers backend's vocabulary, edited at /ai-settings/vocabulary/.

    The image-text model scores the photo against the name and each synonym; the best
    score must reach `threshold` (SigLIP's sigmoid, 0-1) for the name to become a tag.
    """

    name = models.CharField(max_length=100, unique=True)
    synonyms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    parents = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    threshold = models.FloatField(default=0.1)
    needs = models.CharField(max_length=10, choices=ConceptNeeds.choices, default="", blank=True)
    category = models.CharField(max_length=50, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Moved by every save: with the row count, the vocabulary's version (queryset.update()
    # would not move it; services.vocabulary saves rows one by one).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserPreferences(models.Model):
    """A user's own settings; a user without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
    )
    # The language (photos.languages) the AI writes this user's descriptions and tags in.
    language = models.CharField(max_length=10)

    class Meta:
        verbose_name_plural = "user preferences"

    def __str__(self) -> str:
        return f"preferences of user {self.user_id}"


class Person(models.Model):
    """A group of one owner's faces: named or not, never seen by anyone else."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="people"
    )
    name = models.CharField(max_length=100, blank=True)
    hidden = models.BooleanField(default=False)
    cover_face = models.ForeignKey(
        "Face", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"person {self.pk}"


class FaceAssignment(models.TextChoices):
    AUTO = "auto", "Grouped automatically"
    PERSON = "person", "Set by a person"


class Face(models.Model):
    """One face in one item: its box, dlib embedding (float32 bytes) and crop thumbnail.

    `owner` repeats item.album.owner so grouping reads one owner's faces with one
    index scan and can never mix two owners' faces.
    """

    item = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="faces")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="faces"
    )
    box = models.JSONField()  # [x, y, width, height] as fractions of the image
    score = models.FloatField()
    embedding = models.BinaryField(editable=False)
    crop = models.FileField(max_length=255, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="faces"
    )
    assigned_by = models.CharField(
        max_length=10, choices=FaceAssignment.choices, default=FaceAssignment.AUTO
    )
    is_not_person = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "person"], name="face_owner_person")]

    def __str__(self) -> str:
        return f"face {self.pk} in item {self.item_id}"


class ApiToken(models.Model):
    """A per-user key for the REST API, made and revoked at /account/.

    Only the SHA-256 of the key is stored: the key itself is shown once, when
    made. `prefix` (its first characters) lets the owner tell tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ShareLink(models.Model):
    """A link that lets someone without an account see one album, read-only.

    Only a SHA-256 of the token is stored: the owner sees the link once, when it
    is made, and a leaked database holds no usable links. Looking a link up by
    the hash of what the visitor sent leaks nothing through timing about any
    stored token.
    """

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, so the owner can tell links apart.
    token_hint = models.CharField(max_length=8, editable=False)
    label = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # A Django password hash, or "" for no password.
    password = models.CharField(max_length=128, blank=True)
    # Wrong passwords in a row; at the limit the link refuses guesses until the time below.
    password_failures = models.PositiveSmallIntegerField(default=0)
    password_locked_until = models.DateTimeField(null=True, blank=True)
    # False: visitors get display sizes only (thumbnails, posters), no originals, no zip.
    allow_originals = models.BooleanField(default=False)
    # False: GPS and other location metadata are stripped from every file served.
    allow_location = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"share link {self.token_hint}… of album {self.album_id}"

    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
