"""The transformers backend's tag vocabulary (Concept), filled from ai_engine/vocabulary/default.yaml."""

import django.contrib.postgres.fields
import django.utils.timezone
from django.db import migrations, models


def default_concepts_load(apps, schema_editor):
    # The file as it is when the migration runs: the vocabulary a new installation starts
    # with. Later edits to default.yaml reach no existing database (staff own it then).
    from ai_engine.vocabulary import load_concepts

    Concept = apps.get_model("photos", "Concept")
    Concept.objects.bulk_create(
        [
            Concept(
                name=c.name,
                synonyms=list(c.synonyms),
                parents=list(c.parents),
                threshold=c.threshold,
                needs=c.needs,
                category=c.category,
            )
            for c in load_concepts()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0011_user_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="Concept",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True)),
                ("synonyms", django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=100), blank=True, default=list, size=None)),
                ("parents", django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=100), blank=True, default=list, size=None)),
                ("threshold", models.FloatField(default=0.1)),
                ("needs", models.CharField(blank=True, choices=[("", "Nothing more"), ("face", "A face in the photo"), ("text", "Text read in the photo")], default="", max_length=10)),
                ("category", models.CharField(blank=True, max_length=50)),
                ("enabled", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.RunPython(default_concepts_load, migrations.RunPython.noop),
    ]
