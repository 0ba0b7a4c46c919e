"""Copy a library kept on local disk into the S3 bucket that MEDIA_STORAGE=s3 names, verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from photos.services.media_files import library_copy


class Command(BaseCommand):
    help = (
        "Copy every original, thumbnail, poster and face crop from a local media folder "
        "into the configured S3 storage, each read back and its SHA-256 compared. Safe to "
        "run again: files already stored with the same checksum are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="the local media folder (default: MEDIA_ROOT)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be copied; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MEDIA_STORAGE != "s3":
            raise CommandError("Set MEDIA_STORAGE=s3 and the bucket's AWS_* settings first.")
        source: Path = options["source"] or Path(settings.MEDIA_ROOT)
        if not source.is_dir():
            raise CommandError(f"{source} is not a folder")

        def on_file(name: str, outcome: str) -> None:
            if outcome not in {"copied", "present", "to_copy"}:
                self.stderr.write(f"{name}: {outcome}")

        report = library_copy(source, default_storage, dry_run=options["dry_run"], on_file=on_file)
        copied = f"would copy {report.to_copy}" if options["dry_run"] else f"copied {report.copied}"
        self.stdout.write(
            f"{report.files} files: {copied}, already there {report.present}, "
            f"missing {report.missing}, failed {len(report.failed)}"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} files failed their checksum check")
