"""What the API reads and writes: fields, their checks, and how rows look as JSON."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from photos.kinds import KINDS
from photos.models import Album, ItemTag, MediaItem, Person, ProcessingStatus, ShareLink
from photos.services.item_edits import TAG_MAX_LENGTH
from photos.services.text import has_control_characters


class AlbumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Album
        fields = ["id", "title", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give the album a title.")
        return value.strip()


class ItemTagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="tag.name")

    class Meta:
        model = ItemTag
        fields = ["name", "source", "score"]


class ItemSerializer(serializers.ModelSerializer):
    album = serializers.PrimaryKeyRelatedField(read_only=True)
    status = serializers.ChoiceField(
        source="processing_status", choices=ProcessingStatus.choices, read_only=True
    )
    description = serializers.CharField(source="ai_description", read_only=True)
    latitude = serializers.FloatField(source="gps_latitude", read_only=True)
    longitude = serializers.FloatField(source="gps_longitude", read_only=True)
    tags = ItemTagSerializer(source="item_tags", many=True, read_only=True)
    page_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = MediaItem
        fields = [
            "id",
            "kind",
            "album",
            "original_filename",
            "content_type",
            "size_bytes",
            "width",
            "height",
            "duration_seconds",
            "taken_at",
            "camera_make",
            "camera_model",
            "latitude",
            "longitude",
            "status",
            "processing_error",
            "description",
            "description_source",
            "ai_language",
            "tags",
            "uploaded_at",
            "processed_at",
            "page_url",
            "original_url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_page_url(self, item: MediaItem) -> str:
        return item.get_absolute_url()

    def get_original_url(self, item: MediaItem) -> str:
        return reverse("api-item-file", args=[item.pk, "original"])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, item: MediaItem) -> str | None:
        if not item.thumbnail:
            return None
        return reverse("api-item-file", args=[item.pk, "thumbnail"])


class ItemStatusSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(source="processing_status", choices=ProcessingStatus.choices)
    error = serializers.CharField(source="processing_error")

    class Meta:
        model = MediaItem
        fields = ["id", "kind", "status", "error", "attempts", "processed_at"]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    album = serializers.IntegerField(min_value=1)
    file = serializers.FileField(allow_empty_file=False)

    def validate_file(self, value):
        if value.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES / 2**20
            raise serializers.ValidationError(f"The file is over the limit of {limit:.0f} MB.")
        return value


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TAG_MAX_LENGTH)


class DescriptionInputSerializer(serializers.Serializer):
    # Empty hands the description back to the AI's next run.
    text = serializers.CharField(allow_blank=True, max_length=5000, trim_whitespace=True)


class DescriptionSerializer(serializers.ModelSerializer):
    description = serializers.CharField(source="ai_description")

    class Meta:
        model = MediaItem
        fields = ["id", "description", "description_source"]
        read_only_fields = fields


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    kind = serializers.ChoiceField(required=False, choices=list(KINDS), default="")
    album = serializers.IntegerField(required=False, min_value=1, allow_null=True, default=None)
    taken_from = serializers.DateField(required=False, allow_null=True, default=None)
    taken_to = serializers.DateField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(required=False, choices=ProcessingStatus.choices, default="")
    meaning = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Also find items by meaning (needs a worker; false: words only, faster).",
    )

    def validate(self, data: dict) -> dict:
        if data["taken_from"] and data["taken_to"] and data["taken_from"] > data["taken_to"]:
            raise serializers.ValidationError({"taken_to": "Must be on or after taken_from."})
        return data


class ShareLinkSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    has_password = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "album",
            "label",
            "token_hint",
            "expires_at",
            "has_password",
            "allow_originals",
            "allow_location",
            "active",
            "created_at",
            "revoked_at",
            "last_opened_at",
            "open_count",
        ]
        read_only_fields = fields

    def get_has_password(self, link: ShareLink) -> bool:
        return bool(link.password)


class ShareLinkInputSerializer(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    password = serializers.CharField(
        required=False, allow_blank=True, max_length=128, trim_whitespace=False, default=""
    )
    allow_originals = serializers.BooleanField(required=False, default=False)
    allow_location = serializers.BooleanField(required=False, default=False)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class ShareLinkCreatedSerializer(ShareLinkSerializer):
    url = serializers.CharField(read_only=True, help_text="The link: shown this once, not stored.")

    class Meta(ShareLinkSerializer.Meta):
        fields = [*ShareLinkSerializer.Meta.fields, "url"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """One of the owner's people; PATCH renames and hides. Names never leave the owner (#14)."""

    name = serializers.CharField(required=False, max_length=100)
    face_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "face_count", "hidden"]
        read_only_fields = ["id", "face_count"]

    def validate_name(self, value: str) -> str:
        # JSON bodies pass no middleware: the pages' control-character refusal is made here.
        if has_control_characters([value]):
            raise serializers.ValidationError("Control characters are not allowed in a name.")
        return value


class PeopleQuerySerializer(serializers.Serializer):
    hidden = serializers.BooleanField(
        required=False, default=False, help_text="List the hidden people instead."
    )
