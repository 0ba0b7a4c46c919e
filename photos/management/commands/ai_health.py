"""The checklist's daily and weekly checks in one report; non-zero exit when one needs attention."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from photos.selectors.ops import NO_WORKER_HINT, HealthReport, health_report
from photos.services.beat import BEAT_STOPPED_HINT


class Command(BaseCommand):
    help = (
        "Failed items in the last 24 hours, items pending for over 7 days, items processing "
        "past their lease, and workers online. Exits 1 when something needs attention."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--timeout", type=float, default=1.0, help="seconds to wait for workers to answer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = health_report(timeout=options["timeout"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(render_text(report))
        if report.needs_attention:
            raise SystemExit(1)


def render_text(report: HealthReport) -> str:
    def pair(counts: dict[str, int]) -> str:
        # {"photos": 1, "videos": 0} -> "1 photos, 0 videos", as the checklist prints it.
        return ", ".join(f"{n} {plural}" for plural, n in counts.items())

    lines = [
        f"Failed in last 24h: {pair(report.failed_24h)}",
        f"Stuck pending (>7 days): {pair(report.pending_over_7d)}",
        f"Processing past lease: {pair(report.processing_past_lease)}",
        f"Workers online: {report.workers.online}",
        f"Beat: {beat_line(report)}",
    ]
    lines += [
        f"  {w.name} pool={w.pool} concurrency={w.concurrency} running={w.tasks_running}"
        for w in report.workers.workers
    ]
    if not report.workers.online:
        lines.append(f"  {NO_WORKER_HINT}")
    if not report.beat_alive:
        lines.append(f"  {BEAT_STOPPED_HINT}")
    if report.workers.error:
        lines.append(f"  broker: {report.workers.error}")
    if sum(report.pending_over_7d.values()):
        lines.append("  Reprocess them: python manage.py process_photos_ai --limit 100")
    lines.append(
        "NEEDS ATTENTION: " + "; ".join(report.problems) if report.needs_attention else "OK"
    )
    return "\n".join(lines)


def beat_line(report: HealthReport) -> str:
    if report.beat_age_s is None:
        return "no heartbeat ever recorded"
    state = "ticking" if report.beat_alive else "STOPPED"
    return f"{state} (last tick {report.beat_age_s:.0f} s ago)"
