"""Retry and reprocess: a failed or completed item back to pending, then queued after commit.

The processing itself is the pipeline's (photos.services.processing); this
module only moves states, through conditional UPDATEs so that a retry clicked
twice, or racing a worker, changes the row once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from photos.kinds import KINDS
from photos.models import MediaItem, ProcessingStatus, check_transition
from photos.services import processing
from photos.services.ai_settings import ai_settings_get
from photos.services.processing import pending_mark_and_enqueue

RETRYABLE = (ProcessingStatus.FAILED, ProcessingStatus.COMPLETED)


def item_retry(*, item: MediaItem) -> bool:
    """Back to pending and queued; False when the row changed under us (nothing done).

    Raises IllegalTransition for an item that is pending or processing: it is
    already on its way, and a second message would only be skipped by the claim.
    """
    check_transition(item.processing_status, ProcessingStatus.PENDING)
    with transaction.atomic():
        moved = _back_to_pending(
            MediaItem.objects.filter(pk=item.pk, processing_status=item.processing_status)
        )
        if moved:
            # On commit; a broker that is down leaves it pending for the nightly batch.
            processing.item_enqueue(kind=item.kind, item_id=item.pk, ai_settings=ai_settings_get())
    if moved:
        item.refresh_from_db()
    return bool(moved)


def failed_retry_all() -> dict[str, int]:
    """Every failed photo and video back to pending and queued; counts per kind."""
    with transaction.atomic():
        failed = MediaItem.objects.filter(processing_status=ProcessingStatus.FAILED)
        ids = list(failed.select_for_update(skip_locked=True).values_list("pk", flat=True))
        _back_to_pending(failed.filter(pk__in=ids))
    return counts_per_kind(pending_enqueue(ids=ids))


def items_reprocess(*, ids: list[int]) -> dict[str, int]:
    """These items (those failed or completed) back to pending and queued; counts per kind."""
    with transaction.atomic():
        done = MediaItem.objects.filter(pk__in=ids, processing_status__in=RETRYABLE)
        locked = list(done.select_for_update(skip_locked=True).values_list("pk", flat=True))
        _back_to_pending(done.filter(pk__in=locked))
    return counts_per_kind(pending_enqueue(ids=locked))


def pending_process_all() -> dict[str, int]:
    """Queue every pending item now, rather than wait for the nightly batch."""
    return counts_per_kind(pending_enqueue())


def item_queue_now(*, item: MediaItem) -> bool:
    """A pending item queued at once; False when it is not pending (any more)."""
    return bool(pending_enqueue(ids=[item.pk]))


def pending_enqueue(*, ids: list[int] | None = None) -> list[tuple[int, str]]:
    pending = MediaItem.objects.filter(processing_status=ProcessingStatus.PENDING)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    # A duplicate of a message already queued is harmless: the claim does the work once.
    return pending_mark_and_enqueue(queryset=pending.order_by("uploaded_at", "pk"), limit=None)


def counts_per_kind(items: list[tuple[int, str]]) -> dict[str, int]:
    kinds = Counter(kind for _pk, kind in items)
    return {name: kinds[name] for name in KINDS}


def _back_to_pending(queryset: QuerySet) -> int:
    return queryset.filter(processing_status__in=RETRYABLE).update(
        processing_status=ProcessingStatus.PENDING,
        processing_error="",
        attempts=0,
        # "Queued; don't queue again before": keeps the sweep from sending a second message.
        lease_expires_at=timezone.now() + timedelta(seconds=settings.AI_SWEEP_AFTER),
    )
