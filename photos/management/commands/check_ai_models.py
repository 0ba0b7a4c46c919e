"""`manage.py check_ai_models`: is every model of the configured backend there, and working?"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from photos.services.ai import models_report
from photos.services.ai_sample import SAMPLE_PHOTO
from photos.services.ai_settings import ai_settings_get


class Command(BaseCommand):
    help = "Load each AI model of the configured backend and time one inference on a photograph."

    def handle(self, **options) -> None:
        ai_settings = ai_settings_get()
        self.stdout.write(f"Backend: {ai_settings.backend}")
        with Image.open(SAMPLE_PHOTO) as sample:
            reports = models_report(ai_settings, sample.convert("RGB"))
        for report in reports:
            self.stdout.write(
                f"{'OK' if report.ok else 'FAIL':4} {report.name:<12} present={report.present} "
                f"loads={report.loads} device={report.device} "
                f"load={seconds(report.load_s)} sample={seconds(report.sample_s)} "
                f"{report.path}" + (f" - {report.error}" if report.error else "")
            )
        broken = [r for r in reports if not r.ok]
        if broken:
            reasons = "; ".join(f"{r.name}: {r.error or 'missing'}" for r in broken)
            raise CommandError(f"{len(broken)} model(s) not usable: {reasons}")
        self.stdout.write(self.style.SUCCESS(f"All {len(reports)} models present and working."))


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}s"
