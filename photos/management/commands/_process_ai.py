"""What process_photos_ai and process_videos_ai share: the same service as the Celery task."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from photos.services.processing import Outcome, item_process_now, items_for_manual_run


class ProcessAICommand(BaseCommand):
    kind = "photo"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="at most this many items")
        parser.add_argument("--retry-failed", action="store_true", help="include failed items")
        parser.add_argument("--id", type=int, dest="item_id", help="process this item only")

    def handle(self, *, limit: int, retry_failed: bool, item_id: int | None, **options) -> None:
        ids = items_for_manual_run(
            kind=self.kind, limit=limit, retry_failed=retry_failed, item_id=item_id
        )
        self.stdout.write(f"Processing {len(ids)} {self.kind}(s) without Celery")
        counts = {outcome: 0 for outcome in Outcome}
        for done, pk in enumerate(ids, start=1):
            started = time.perf_counter()
            outcome, error = item_process_now(kind=self.kind, item_id=pk)
            counts[outcome] += 1
            bar = "#" * (20 * done // len(ids))
            line = f"[{bar:<20}] {done}/{len(ids)} {self.kind} {pk}: {outcome}"
            line += f" {time.perf_counter() - started:.2f}s" + (f" ({error})" if error else "")
            style = self.style.ERROR if outcome == Outcome.FAILED else self.style.SUCCESS
            self.stdout.write(style(line))
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        self.stdout.write(f"Done: {summary}")
        if counts[Outcome.FAILED]:
            raise CommandError(f"{counts[Outcome.FAILED]} {self.kind}(s) failed")
