import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


class PostgresOnlyAddIndex(migrations.AddIndex):
    """A GIN index exists only on PostgreSQL; SQLite (the zero-set-up run) skips it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="description_source",
            field=models.CharField(
                choices=[("ai", "AI"), ("person", "Person")], default="ai", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="removed_tags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="photo",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.AddField(
            model_name="video",
            name="description_source",
            field=models.CharField(
                choices=[("ai", "AI"), ("person", "Person")], default="ai", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="video",
            name="removed_tags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="video",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        PostgresOnlyAddIndex(
            model_name="photo",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="photo_search_vector_gin"
            ),
        ),
        PostgresOnlyAddIndex(
            model_name="video",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="video_search_vector_gin"
            ),
        ),
    ]
