"""Run the validation checklist's eight tests against this deployment; non-zero exit on a FAIL."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from photos.management.commands._deployment_checks import (
    TestResult,
    now_iso,
    summary,
    validation_run,
)


class Command(BaseCommand):
    help = (
        "Checklist tests 1-8 against the live broker, worker, database and storage: prints "
        "PASS, FAIL or SKIP per test with its figure, and the checklist's hint on a failure. "
        "Test data (a temporary user, album, items, files) is deleted afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--skip", default="", help="tests to leave out, e.g. 3,4")
        parser.add_argument(
            "--timeout", type=float, default=180.0, help="seconds each test may wait (180)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        skip = parse_skip(options["skip"])
        on_result = None if options["json"] else self.print_result
        results = validation_run(skip=skip, timeout=options["timeout"], on_result=on_result)
        counts = summary(results)
        if options["json"]:
            report = {"checked_at": now_iso(), "summary": counts,
                      "results": [result.as_dict() for result in results]}  # fmt: skip
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(f"{counts['PASS']} passed, {counts['FAIL']} failed, "
                              f"{counts['SKIP']} skipped")  # fmt: skip
        if counts["FAIL"]:
            raise SystemExit(1)

    def print_result(self, result: TestResult) -> None:
        style = {"PASS": self.style.SUCCESS, "FAIL": self.style.ERROR}.get(
            result.status, self.style.WARNING
        )
        took = f" ({result.seconds:.1f} s)" if result.status != "SKIP" else ""
        line = f"{style(result.status):<4} {result.number} {result.name}: {result.figure}{took}"
        self.stdout.write(line)
        if result.hint:
            self.stdout.write(f"       If failed: {result.hint}")


def parse_skip(value: str) -> set[int]:
    try:
        numbers = {int(part) for part in value.replace(" ", "").split(",") if part}
    except ValueError as error:
        raise CommandError(f"--skip takes test numbers like 3,4, not {value!r}") from error
    if not numbers <= set(range(1, 9)):
        raise CommandError("--skip: tests are numbered 1 to 8")
    return numbers
