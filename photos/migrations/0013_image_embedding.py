"""Each item's vector in the image-text model's space, and that model's id (image-space search)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0012_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="mediaitem",
            name="image_embedding",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="mediaitem",
            name="image_embedding_model",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
    ]
