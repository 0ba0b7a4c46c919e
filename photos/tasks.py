"""Celery tasks: thin entry points that take ids and call one service each.

Tasks own the retry policy; photos.services.processing owns everything else.
Tasks import services and never the reverse: services send by task name
through photos.services.queue. Results are ignored (CELERY_TASK_IGNORE_RESULT)
except for the tasks whose caller reads one: ignore_result=False below.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from photos.models import MediaKind
from photos.services import ai, people, processing, vectors, vocabulary
from photos.services.ai_sample import sample_analyze


@shared_task(ignore_result=False)  # the checklist's result.get()
def test_celery_task() -> str:
    return "Celery is working!"


# The checklist names one task per kind; each is a thin wrapper over item_task_run.
# `embed_group`: the items sent with this one, which embed their texts together.
@shared_task(bind=True, max_retries=settings.AI_TRANSIENT_RETRIES)
def process_photo_ai(self: Task, photo_id: int, embed_group: Sequence[int] = ()) -> str:
    return item_task_run(self, kind=MediaKind.PHOTO, item_id=photo_id, embed_group=embed_group)


@shared_task(bind=True, max_retries=settings.AI_TRANSIENT_RETRIES)
def process_video_ai(self: Task, video_id: int, embed_group: Sequence[int] = ()) -> str:
    return item_task_run(self, kind=MediaKind.VIDEO, item_id=video_id, embed_group=embed_group)


def item_task_run(task: Task, *, kind: str, item_id: int, embed_group: Sequence[int]) -> str:
    retries = task.request.retries
    try:
        outcome = processing.item_process(
            kind=kind,
            item_id=item_id,
            final_try=retries >= (task.max_retries or 0),
            embed_group=embed_group,
        )
    except processing.RetryLater as exc:
        # Exponential backoff with jitter, so items that failed together spread out.
        countdown = settings.AI_RETRY_BACKOFF * 2**retries * random.uniform(0.8, 1.2)
        raise task.retry(exc=exc, countdown=countdown) from None
    return outcome.value


@shared_task
def process_pending_photos_task() -> int:
    return processing.pending_batch_enqueue(kind=MediaKind.PHOTO)


@shared_task
def process_pending_videos_task() -> int:
    return processing.pending_batch_enqueue(kind=MediaKind.VIDEO)


@shared_task
def sweep_pending_items_task() -> int:
    """Items (and embeddings) whose message was lost are queued again; items without a
    vector from the current image-text model are queued for one."""
    return (
        processing.stale_pending_enqueue()
        + vectors.stale_embeddings_enqueue()
        + vectors.stale_image_embeddings_enqueue()
    )


@shared_task
def reap_expired_leases_task() -> int:
    return processing.expired_leases_reap()


@shared_task(ignore_result=False)  # the AI settings page polls for it
def ai_sample_test_task(overrides: dict[str, Any]) -> dict[str, Any]:
    """/ai-settings/'s "Test on a sample photo", run where the models really run."""
    return sample_analyze(overrides)


@shared_task
def item_embedding_update_task(kind: str, item_id: int) -> None:
    """After a person's edit, or from the sweep: the web process never loads the model.

    `kind` is unused since photos and videos share one table; kept so that messages
    queued before that change still run.
    """
    vectors.item_embedding_refresh(item_id=item_id)


@shared_task
def item_image_embedding_update_task(item_id: int) -> None:
    """From the sweep: an item without a vector from the current image-text model."""
    vectors.item_image_embedding_update(item_id=item_id)


@shared_task(ignore_result=False)  # the search waits for it
def embed_query_task(text: str) -> dict[str, Any]:
    """A search query's vectors, for the web process that never loads models: in text space,
    and in image space when there is an image-text model (vectors.QueryVectors reads it).

    A warm worker answers in ~10-30 ms; the caller waits a few seconds at most.
    """
    return ai.query_embed(text)


@shared_task
def people_group_task(owner_id: int | None = None) -> int:
    """Cluster faces nobody has placed into people: one owner, or every owner."""
    if owner_id is not None:
        return people.people_group(owner_id=owner_id).new_people
    return sum(r.new_people for r in people.people_group_all().values())


@shared_task(ignore_result=False)  # the vocabulary page polls for it
def vocabulary_preview_task(concept: dict[str, Any]) -> dict[str, Any]:
    """Which recent photos a concept (saved or not) would tag, scored where models run."""
    return vocabulary.concept_preview(concept)
