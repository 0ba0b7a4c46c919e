"""`manage.py fetch_ai_models`: download the pinned transformers models into the model folder."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from photos.services.ai import ai_model_dir
from photos.services.ai_settings import ai_settings_get


class Command(BaseCommand):
    help = (
        "Download the pinned image-text model and captioner (ai_engine/models.json) into "
        "the AI settings' model folder, else AI_MODEL_DIR: sha256-verified, resumable. "
        "Needs internet (or HF_ENDPOINT); the offline backend never does."
    )

    def add_arguments(self, parser) -> None:
        from ai_engine.fetch_models import add_arguments

        parser.add_argument("--model-dir", help="default: the model folder the engine loads")
        add_arguments(parser)

    def handle(self, **options) -> None:
        from ai_engine.fetch_models import FetchError, fetch_manifest

        model_dir = options["model_dir"] or ai_model_dir(ai_settings_get())
        try:
            fetch_manifest(
                model_dir,
                manifest=options["manifest"],
                only=options["only"],
                record=options["record"],
                say=self.stdout.write,
            )
        except FetchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Models in {model_dir}. Choose the 'transformers' backend at /ai-settings/ "
                "and run `python manage.py check_ai_models`."
            )
        )
