"""The one door to the queue: every message the app sends leaves through here.

- Tasks are named, not imported. photos.tasks imports the services, so a
  service importing tasks would close a circle; `app.send_task(name)` needs
  only the name, and tests/pipeline/test_queue.py checks that every name here
  is a registered task. Which queue a task goes to is the app's routing
  (CELERY_TASK_ROUTES in settings), so a `.delay()` typed in a shell lands in
  the same queue as a send from here. One exception: an item's AI processing goes
  to the `gpu` queue while a GPU worker is online (photos.services.gpu), decided at
  each send, so a re-send by the sweep or the reaper after the GPU worker is gone
  goes to the CPU queue.
- A send that follows a write goes out on commit (the worker must see the row)
  and is robust: a broker that is down is logged, never raised into the
  request. The row stays the truth and a sweep sends again later (pending
  items: processing.stale_pending_enqueue; embeddings an edit cleared:
  vectors.stale_embeddings_enqueue).
- Sends whose answer a page waits for (a query's embedding, the sample test,
  the deployment check's round trip) go out at once and raise BROKER_ERRORS,
  so the caller can say what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery.result import AsyncResult
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from photos.kinds import KINDS
from photos.services.gpu import gpu_worker_online

logger = logging.getLogger(__name__)

# What an unreachable or failing broker raises through kombu and redis-py.
BROKER_ERRORS: tuple[type[Exception], ...] = (OperationalError, RedisError, OSError)

BATCH_QUEUE = "celery"  # CELERY_TASK_DEFAULT_QUEUE: the AI work
INTERACTIVE_QUEUE = "interactive"  # what a page waits for; see settings' CELERY_TASK_ROUTES
GPU_QUEUE = "gpu"  # the AI work while a GPU worker is online

ROUND_TRIP_TASK = "photos.tasks.test_celery_task"
EMBED_QUERY_TASK = "photos.tasks.embed_query_task"
SAMPLE_TEST_TASK = "photos.tasks.ai_sample_test_task"
EMBEDDING_UPDATE_TASK = "photos.tasks.item_embedding_update_task"
IMAGE_EMBEDDING_UPDATE_TASK = "photos.tasks.item_image_embedding_update_task"
PEOPLE_GROUP_TASK = "photos.tasks.people_group_task"
VOCABULARY_PREVIEW_TASK = "photos.tasks.vocabulary_preview_task"
# Items sent together embed their texts in one pass of the model, which costs about
# half as much a text as one at a time; more would only keep the first ones waiting.
EMBED_GROUP = 16
# A send in a request gives up quickly: a broker that is down would otherwise
# hold the page for Celery's default retries.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def send(name: str, *, args: Sequence[Any] = (), wait: bool = False, **options: Any) -> AsyncResult:
    """Send now; raises one of BROKER_ERRORS when the broker can't take it.

    `wait`: the caller reads the result. Otherwise the send doesn't subscribe
    to one (with the Redis backend each subscription is kept by this process).
    """
    from photo_album.celery import app

    return app.send_task(
        name,
        args=list(args),
        ignore_result=not wait,
        retry_policy=PUBLISH_RETRY,
        **options,
    )


def sends_on_commit(
    what: str,
    messages: Sequence[tuple[str, Sequence[Any], dict[str, Any]]],
    *,
    at_send: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """After commit, send each (name, args, options); a broker outage is logged, not raised.

    `what` names the messages in the log line, e.g. "3 photos for processing".
    `at_send`: options decided when the messages leave, not when they were asked for
    (which queue takes AI work), added to each message's own.
    """

    def send_all() -> None:
        late = at_send() if at_send else {}
        for sent, (name, args, options) in enumerate(messages):
            try:
                send(name, args=args, **options, **late)
            except BROKER_ERRORS as error:
                logger.warning(
                    "Broker unreachable, %d of %s not sent (the sweep sends them later): %s",
                    len(messages) - sent,
                    what,
                    error,
                )
                return

    # robust as well: an error this module did not foresee must not fail a committed request.
    transaction.on_commit(send_all, robust=True)


# --- the messages --------------------------------------------------------------------


def items_process_on_commit(*, items: Sequence[tuple[int, str]], limits: tuple[int, int]) -> None:
    """Queue AI processing of these (id, kind) items once committed, each with its kind's
    task; `limits` is (soft, hard) seconds, per call because the timeout is an AISettings
    row value, not a start-up setting.

    Several items (a batch, the sweep) go in groups of EMBED_GROUP that compute their
    search embeddings together (processing.item_process); a single one (an upload)
    computes its own at once, so it is found by meaning as soon as it is done.
    """
    soft, hard = limits
    limit_options: dict[str, Any] = {"soft_time_limit": soft, "time_limit": hard}
    grouped = len(items) > 1
    messages = []
    for start in range(0, len(items), EMBED_GROUP):
        group = items[start : start + EMBED_GROUP]
        options = limit_options
        if grouped:
            options = {**limit_options, "kwargs": {"embed_group": [pk for pk, _ in group]}}
        messages += [(KINDS[kind].process_task, [item_id], options) for item_id, kind in group]
    sends_on_commit(f"{len(messages)} item(s) for processing", messages, at_send=ai_queue)


def ai_queue() -> dict[str, str]:
    """The queue for AI processing: `gpu` while a GPU worker's heartbeat lasts, else the
    CPU queue (also when Redis cannot say: the send then fails and the sweep retries)."""
    return {"queue": GPU_QUEUE if gpu_worker_online() else BATCH_QUEUE}


def embedding_update_on_commit(
    *, items: Sequence[tuple[int, str]], expires_s: float, queue_name: str | None = None
) -> None:
    """Recompute these (id, kind) items' embeddings once committed: on the interactive worker (the
    task's route) unless `queue_name` says otherwise.

    `expires_s`: a message no worker took by then is dropped; the sweep, which
    finds the item by its cleared embedding, sends a fresh one instead of a
    backlog piling up behind a stopped worker.
    """
    options: dict[str, Any] = {"expires": expires_s}
    if queue_name:
        options["queue"] = queue_name
    messages = [(EMBEDDING_UPDATE_TASK, [kind, item_id], options) for item_id, kind in items]
    sends_on_commit(f"{len(messages)} embedding refresh(es)", messages)


def image_embedding_update_on_commit(*, items: Sequence[tuple[int, str]], expires_s: float) -> None:
    """Place these (id, kind) items in the current image-text model's space once committed,
    on the batch queue (the sweep's backlog never stands in front of a search)."""
    options: dict[str, Any] = {"expires": expires_s, "queue": BATCH_QUEUE}
    messages = [(IMAGE_EMBEDDING_UPDATE_TASK, [item_id], options) for item_id, _kind in items]
    sends_on_commit(f"{len(messages)} image-space update(s)", messages)


def embed_query_send(text: str, *, expires_s: float) -> AsyncResult:
    # expires: a query nobody picked up in time is dropped, not run later; no retry:
    # a search answers by words alone rather than wait for a broker.
    return send(EMBED_QUERY_TASK, args=[text], wait=True, expires=expires_s, retry=False)


def sample_test_send(overrides: dict[str, Any], *, limits: tuple[int, int]) -> AsyncResult:
    soft, hard = limits
    # Nobody waits for a test that no worker picked up within a few minutes.
    return send(
        SAMPLE_TEST_TASK,
        args=[overrides],
        wait=True,
        soft_time_limit=soft,
        time_limit=hard,
        expires=max(soft, 120),
    )


def vocabulary_preview_send(concept: dict[str, Any], *, time_limit_s: int) -> AsyncResult:
    """/ai-settings/vocabulary/'s preview of one (unsaved) concept, on the interactive worker."""
    return send(
        VOCABULARY_PREVIEW_TASK,
        args=[concept],
        wait=True,
        soft_time_limit=time_limit_s,
        time_limit=time_limit_s + 30,
        expires=time_limit_s,
    )


def round_trip_send() -> AsyncResult:
    """The checklist's test_celery_task, for validate_deployment."""
    return send(ROUND_TRIP_TASK, wait=True)
