"""Tasks for the operations pages; the worker imports this module through CELERY_IMPORTS."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from photos.services.ai_sample import sample_analyze


@shared_task
def ai_sample_test_task(overrides: dict[str, Any]) -> dict[str, Any]:
    return sample_analyze(overrides)
