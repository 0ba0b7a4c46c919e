"""Photos and videos move into one `MediaItem` table with a `kind` column.

Photos keep their ids. Videos keep theirs too unless a photo already has the
same one; those get fresh ids. Every video remembers its old id in
`legacy_video_id`, which old /videos/<id>/ links redirect through. Stored
files keep their names (`originals/videos/...`), so nothing moves on disk.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models

SHARED_COLUMNS = (
    "album_id",
    "uploader_id",
    "original",
    "original_filename",
    "content_type",
    "size_bytes",
    "checksum_sha256",
    "thumbnail",
    "width",
    "height",
    "taken_at",
    "camera_make",
    "camera_model",
    "gps_latitude",
    "gps_longitude",
    "processing_status",
    "processing_error",
    "attempts",
    "lease_expires_at",
    "processing_started_at",
    "auto_process",
    "ai_description",
    "description_source",
    "removed_tags",
    "ai_analysis",
    "search_vector",
    "image_hash",
    "embedding",
    "uploaded_at",
    "processed_at",
)
TAG_COLUMNS = "tag_id, source, score, created_at"


class PostgresOnlyAddIndex(migrations.AddIndex):
    """A GIN index exists only on PostgreSQL; SQLite (the zero-set-up run) skips it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def copy_rows(apps, schema_editor):
    connection = schema_editor.connection
    columns = ", ".join(SHARED_COLUMNS)
    video_columns = f"{columns}, duration_seconds, poster"
    media_item = apps.get_model("photos", "MediaItem")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO photos_mediaitem (id, kind, duration_seconds, poster, {columns}) "
            f"SELECT id, 'photo', NULL, '', {columns} FROM photos_photo"
        )
        cursor.execute(
            f"INSERT INTO photos_mediaitem (id, kind, legacy_video_id, {video_columns}) "
            f"SELECT id, 'video', id, {video_columns} FROM photos_video "
            "WHERE id NOT IN (SELECT id FROM photos_photo)"
        )
        # The explicit ids above did not move the id sequence; the next inserts
        # (and every later upload) must start past them.
        for sql in connection.ops.sequence_reset_sql(no_style(), [media_item]):
            cursor.execute(sql)
        cursor.execute(
            f"INSERT INTO photos_mediaitem (kind, legacy_video_id, {video_columns}) "
            f"SELECT 'video', id, {video_columns} FROM photos_video "
            "WHERE id IN (SELECT id FROM photos_photo) ORDER BY id"
        )
        cursor.execute(
            f"INSERT INTO photos_itemtag (item_id, {TAG_COLUMNS}) "
            f"SELECT photo_id, {TAG_COLUMNS} FROM photos_phototag"
        )
        cursor.execute(
            f"INSERT INTO photos_itemtag (item_id, {TAG_COLUMNS}) "
            f"SELECT m.id, {', '.join('t.' + c for c in TAG_COLUMNS.split(', '))} "
            "FROM photos_videotag t JOIN photos_mediaitem m "
            "ON m.kind = 'video' AND m.legacy_video_id = t.video_id"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0004_item_embedding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MediaItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("photo", "Photo"), ("video", "Video")],
                        db_index=True,
                        max_length=10,
                    ),
                ),
                ("original", models.FileField(max_length=255, upload_to="")),
                ("original_filename", models.CharField(max_length=255)),
                ("content_type", models.CharField(max_length=100)),
                ("size_bytes", models.BigIntegerField()),
                ("checksum_sha256", models.CharField(db_index=True, max_length=64)),
                ("thumbnail", models.FileField(blank=True, max_length=255, upload_to="")),
                ("width", models.PositiveIntegerField(blank=True, null=True)),
                ("height", models.PositiveIntegerField(blank=True, null=True)),
                ("duration_seconds", models.FloatField(blank=True, null=True)),
                ("poster", models.FileField(blank=True, max_length=255, upload_to="")),
                ("taken_at", models.DateTimeField(blank=True, null=True)),
                ("camera_make", models.CharField(blank=True, max_length=100)),
                ("camera_model", models.CharField(blank=True, max_length=100)),
                ("gps_latitude", models.FloatField(blank=True, null=True)),
                ("gps_longitude", models.FloatField(blank=True, null=True)),
                (
                    "processing_status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("processing", "Processing"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("processing_error", models.TextField(blank=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("lease_expires_at", models.DateTimeField(blank=True, null=True)),
                ("processing_started_at", models.DateTimeField(blank=True, null=True)),
                ("auto_process", models.BooleanField(default=False)),
                ("ai_description", models.TextField(blank=True)),
                (
                    "description_source",
                    models.CharField(
                        choices=[("ai", "AI"), ("person", "Person")], default="ai", max_length=10
                    ),
                ),
                ("removed_tags", models.JSONField(blank=True, default=list)),
                ("ai_analysis", models.JSONField(blank=True, default=dict)),
                (
                    "search_vector",
                    django.contrib.postgres.search.SearchVectorField(
                        blank=True, editable=False, null=True
                    ),
                ),
                ("image_hash", models.CharField(blank=True, db_index=True, max_length=16)),
                ("embedding", models.BinaryField(blank=True, editable=False, null=True)),
                (
                    "uploaded_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("processed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "legacy_video_id",
                    models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
                ),
                (
                    "album",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="photos.album",
                    ),
                ),
                (
                    "uploader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="media_items",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-uploaded_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["processing_status", "uploaded_at"],
                        name="photos_medi_process_df40b5_idx",
                    ),
                    models.Index(fields=["album", "-uploaded_at", "-id"], name="item_album_newest"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(kind__in=["photo", "video"]), name="item_kind_known"
                    )
                ],
            },
        ),
        PostgresOnlyAddIndex(
            model_name="mediaitem",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="item_search_vector_gin"
            ),
        ),
        migrations.CreateModel(
            name="ItemTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[("ai", "AI"), ("person", "Person")], default="ai", max_length=10
                    ),
                ),
                ("score", models.FloatField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="item_tags",
                        to="photos.mediaitem",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="photos.tag"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("item", "tag"), name="unique_item_tag")
                ],
            },
        ),
        migrations.AddField(
            model_name="mediaitem",
            name="tags",
            field=models.ManyToManyField(
                blank=True, related_name="items", through="photos.ItemTag", to="photos.tag"
            ),
        ),
        migrations.RunPython(copy_rows, migrations.RunPython.noop, elidable=False),
        # Photos kept their ids, so every cover still names the same photo.
        migrations.AlterField(
            model_name="album",
            name="cover_photo",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="photos.mediaitem",
            ),
        ),
        migrations.RemoveField(model_name="photo", name="tags"),
        migrations.RemoveField(model_name="video", name="tags"),
        migrations.DeleteModel(name="PhotoTag"),
        migrations.DeleteModel(name="VideoTag"),
        migrations.DeleteModel(name="Photo"),
        migrations.DeleteModel(name="Video"),
        migrations.CreateModel(
            name="Photo",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("photos.mediaitem",),
        ),
        migrations.CreateModel(
            name="Video",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("photos.mediaitem",),
        ),
    ]
