"""The AI settings page's "Test on a sample photo": one analysis of a bundled photograph.

It runs on a worker (the machine that will really run the models), not in the
web process, which never loads a model. The page sends the form's values; a
newly typed API key crosses the queue encrypted, else the worker uses the
stored one, and either only with the endpoint it belongs to.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from celery.result import AsyncResult
from django.conf import settings

from photos.models import AISettings
from photos.services import queue
from photos.services.ai_settings import ai_settings_get

SAMPLE_PHOTO = Path(__file__).resolve().parent.parent / "samples" / "sample.jpg"
# The fields a test may override; a key typed into the form comes as API_KEY_TOKEN.
OVERRIDABLE = (
    "backend",
    "model_dir",
    "endpoint_url",
    "model_name",
    "max_tags",
    "min_confidence",
    "processing_timeout",
)
API_KEY_TOKEN = "api_key_token"
# Not a setting: the language of whoever runs the test (photos.selectors.languages).
LANGUAGE = "language"


def sample_settings(overrides: dict[str, Any]) -> AISettings:
    """The stored settings with the form's values on top; never saved."""
    row = ai_settings_get()
    for name in OVERRIDABLE:
        if name in overrides:
            setattr(row, name, overrides[name])
    if overrides.get(API_KEY_TOKEN):
        # A key typed for this test belongs to the endpoint it was typed with.
        row.api_key = overrides[API_KEY_TOKEN]
        row.api_key_endpoint = row.endpoint_url
    return row


def sample_analyze(overrides: dict[str, Any]) -> dict[str, Any]:
    """Analyse the bundled photo; the description, tags and seconds, or the error."""
    from ai_engine import Context, EngineError, analyze
    from photos.services.ai import engine_settings

    row = sample_settings(overrides)
    started = time.perf_counter()
    try:
        engine = engine_settings(row, language=overrides.get(LANGUAGE))
        with SAMPLE_PHOTO.open("rb") as photo:
            analysis = analyze(photo, context=Context(settings=engine, filename=SAMPLE_PHOTO.name))
    except (EngineError, ValueError, OSError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}", "backend": row.backend}
    return {
        "ok": True,
        "backend": row.backend,
        "description": analysis.description,
        "tags": [{"name": tag.name, "score": round(tag.score, 3)} for tag in analysis.tags],
        "seconds": round(time.perf_counter() - started, 2),
    }


def sample_test_enqueue(overrides: dict[str, Any]) -> str:
    """Send the test to the interactive worker; raises queue.BROKER_ERRORS (the page says so)."""
    timeout = int(overrides.get("processing_timeout") or ai_settings_get().processing_timeout)
    result = queue.sample_test_send(
        overrides, limits=(timeout, timeout + settings.AI_TIME_LIMIT_GRACE)
    )
    return result.id


def interactive_task_poll(task_id: str) -> dict[str, Any]:
    """What a page polls for a task on the interactive queue (the sample test, the
    vocabulary preview): its state and, once done, what it returned."""
    result: AsyncResult[dict[str, Any]] = AsyncResult(task_id)
    state = result.state
    if state == "SUCCESS":
        found = result.result
        assert isinstance(found, dict)  # SUCCESS: the task's return value
        return {"state": state, "done": True, **found}
    if state in {"FAILURE", "REVOKED"}:
        # A time limit or a crash: the exception's text is the error to show.
        return {"state": state, "done": True, "ok": False, "error": _error_text(result.result)}
    return {"state": state, "done": False}


def _error_text(error: object) -> str:
    name = type(error).__name__
    if name in {"SoftTimeLimitExceeded", "TimeLimitExceeded"}:
        return "Timed out; raise the processing timeout or choose a faster backend."
    return f"{name}: {error}"
