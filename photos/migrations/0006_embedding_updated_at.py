"""When each embedding last changed, so the meaning index's staleness check is one index probe."""

from django.db import migrations, models
from django.db.models import F


def from_processed_at(apps, schema_editor):
    # Embeddings so far were written right after processing.
    media_item = apps.get_model("photos", "MediaItem")
    media_item.objects.exclude(embedding=None).update(embedding_updated_at=F("processed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0005_one_media_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="mediaitem",
            name="embedding_updated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="mediaitem",
            index=models.Index(fields=["embedding_updated_at"], name="item_embedding_updated"),
        ),
        migrations.RunPython(from_processed_at, migrations.RunPython.noop),
    ]
