# The AI's language moves from the site-wide AI settings to each user (issue 10).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The engine's catalogues when this was written (ai_engine.LANGUAGES); frozen here.
WRITTEN = ("en", "de", "fr", "es")


def nearest(code):
    code = (code or "en").strip().lower().replace("_", "-").split("-")[0]
    return code if code in WRITTEN else "en"


def carry_over(apps, schema_editor):
    """Processed items were written in the old site-wide language; users keep seeing it.

    Users get a row only when it differs from the site default (LANGUAGE_CODE):
    without one, a user follows that default.
    """
    AISettings = apps.get_model("photos", "AISettings")
    MediaItem = apps.get_model("photos", "MediaItem")
    UserPreferences = apps.get_model("photos", "UserPreferences")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    row = AISettings.objects.filter(pk=1).first()
    old = nearest(row.language if row else "en")
    MediaItem.objects.filter(processing_status="completed").update(ai_language=old)
    if old != nearest(settings.LANGUAGE_CODE):
        UserPreferences.objects.bulk_create(
            [UserPreferences(user_id=pk, language=old) for pk in User.objects.values_list("pk", flat=True)],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0010_people'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UserPreferences',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='preferences', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('language', models.CharField(max_length=10)),
            ],
            options={
                'verbose_name_plural': 'user preferences',
            },
        ),
        migrations.AddField(
            model_name='mediaitem',
            name='ai_language',
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='aisettings',
            name='language',
        ),
    ]
