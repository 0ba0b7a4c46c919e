"""AI processing of one item, and the jobs that make sure no item is ever lost.

The row is the truth; a message only carries an id. A worker owns an item
while it holds the claim: processing_status=processing, `attempts` equal to
the number it claimed with, and an unexpired `lease_expires_at`. Every write
is a conditional UPDATE on that claim, so a redelivered task, a late worker or
two sweepers on two machines cannot do the work twice or overwrite a newer
result.

`attempts` is incremented by each claim and handed back by a retry-later, so
what it holds at the next claim is how many workers died holding the item;
at AI_MAX_WORKER_DEATHS the item is failed instead of handed out again.

The lease is short and renewed while the item is processed (services.leases),
so a dead worker's item is taken over within about a minute.

On a `pending` row, `lease_expires_at` means "queued; don't queue it again
before": the sweep skips such rows until then, which keeps its re-sends few.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.utils import timezone

from photos.kinds import KINDS
from photos.languages import tag_names_in
from photos.models import AISettings, Face, ItemTag, MediaItem, ProcessingStatus, Tag, TagSource
from photos.selectors.languages import album_owner_language_subquery, known_language
from photos.services import queue
from photos.services.ai import item_analyze
from photos.services.ai_settings import ai_settings_get
from photos.services.leases import LeaseHeartbeat, holder_gone, holder_here, lease_expiry
from photos.services.people import faces_save
from photos.services.search_index import item_search_index_update
from photos.services.vectors import (
    group_embeddings_when_done,
    image_space_fields,
    item_embedding_refresh,
)

if TYPE_CHECKING:
    from ai_engine import Analysis
    from ai_engine.types import ScoredTag

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # another worker holds it, or it is already done


class RetryLater(Exception):
    """A transient error: the claim was handed back; the task should try again later."""


@dataclass(frozen=True)
class Claim:
    model: type[MediaItem]
    item_id: int
    attempt: int
    # The row as read for the claim, as the work needs it (see item_claim): only its file
    # and name are used, which never change (the engine's input, the search index's words).
    item: MediaItem
    language: str  # the owner's, which the engine writes in
    has_faces: bool  # it holds faces from an earlier run, which this run's replace

    def held(self) -> QuerySet:
        """The row, only while this claim still owns it (a newer claim has a higher attempt)."""
        return self.model.objects.filter(
            pk=self.item_id, processing_status=ProcessingStatus.PROCESSING, attempts=self.attempt
        )


# --- limits ---------------------------------------------------------------------


def time_limits(ai_settings: AISettings) -> tuple[int, int]:
    """(soft, hard) seconds for one item's task, from the per-installation timeout."""
    soft = ai_settings.processing_timeout
    return soft, soft + settings.AI_TIME_LIMIT_GRACE


# --- one item -------------------------------------------------------------------


def item_process(
    *, kind: str, item_id: int, final_try: bool = True, embed_group: Collection[int] = ()
) -> Outcome:
    """Claim the item, run the engine, save the result; the same path for tasks and commands.

    `embed_group`: the ids of the items sent with this one (a batch's send, itself
    included); their search embeddings are computed together once all are done
    (vectors.group_embeddings_when_done). Without one, the item's is computed at once.

    Raises RetryLater on a transient error when `final_try` is false.
    """
    try:
        outcome = item_process_once(kind=kind, item_id=item_id, final_try=final_try)
    except (OperationalError, InterfaceError) as exc:
        # The database connection dropped (restart, failover, killed backend): go
        # again at once on a new one, taking back the claim this thread held.
        logger.warning("%s ID: %s: database connection lost (%s); retrying", kind, item_id, exc)
        connection.close()
        outcome = item_process_once(kind=kind, item_id=item_id, final_try=final_try, reclaim=True)
    # Here, after the commit, where the engine (and torch) is already loaded.
    if embed_group:
        group_embeddings_when_done(embed_group)
    elif outcome == Outcome.COMPLETED:
        item_embedding_refresh(item_id=item_id)
    return outcome


def item_process_once(
    *, kind: str, item_id: int, final_try: bool, reclaim: bool = False
) -> Outcome:
    model = KINDS[kind].model
    ai_settings = ai_settings_get()
    claim = item_claim(model=model, item_id=item_id, reclaim=reclaim)
    if claim is None:
        logger.info("%s ID: %s is held by another worker or done; skipping", kind.title(), item_id)
        return Outcome.SKIPPED
    logger.info("Processing %s ID: %s", kind, item_id)
    with LeaseHeartbeat(claim.held()):
        try:
            analysis = item_analyze(claim.item, ai_settings, language=claim.language)
        except (OperationalError, InterfaceError):
            raise  # not the item's fault: item_process reconnects and tries again
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the item, see below
            return item_handle_error(claim, exc, final_try=final_try, ai_settings=ai_settings)
        logger.info("Extracting tags...")
        if not item_complete(claim, analysis):
            logger.warning(
                "%s ID: %s was taken over while processing; result dropped", kind, item_id
            )
            return Outcome.SKIPPED
    if analysis.faces_found or claim.has_faces:  # most photos: none found, none to replace
        faces_save(item_id=item_id, faces=analysis.faces_found)
    return Outcome.COMPLETED


def item_claim(*, model: type[MediaItem], item_id: int, reclaim: bool = False) -> Claim | None:
    """Take the item with one conditional UPDATE; None when someone holds it or it is done.

    `reclaim`: this thread lost its connection while holding the item and takes it back.
    """
    now = timezone.now()
    lease = now + lease_expiry()
    # One read serves the claim and the work: the engine needs the file and its name (not
    # the old embeddings or search vector), the owner's language and whether faces exist.
    item = (
        model.objects.defer("embedding", "image_embedding", "search_vector")
        .annotate(
            owner_language=album_owner_language_subquery(),
            has_faces=Exists(Face.objects.filter(item=OuterRef("pk"))),
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        return None
    status, holder, attempts = item.processing_status, item.lease_holder, item.attempts
    if status != ProcessingStatus.PROCESSING:
        holder = ""
    # A redelivered task takes back an item whose worker died (lease expired)...
    takeover = Q(processing_status=ProcessingStatus.PROCESSING, lease_expires_at__lt=now)
    here = holder_here()
    if holder and (holder_gone(holder) or (reclaim and holder == here)):
        # ...or at once when the holder is a dead process on this host (SIGKILL, OOM).
        takeover |= Q(processing_status=ProcessingStatus.PROCESSING, lease_holder=holder)
    claimable = model.objects.filter(
        Q(processing_status=ProcessingStatus.PENDING) | takeover, pk=item_id
    )
    # Only a death counts: this thread taking back its own claim after a lost database
    # connection does not.
    attempt = attempts + (0 if reclaim and holder == here else 1)
    max_deaths = settings.AI_MAX_WORKER_DEATHS
    # `attempts` as read above: a claim made since then changed it, and this one fails,
    # so the number this claim holds is known without reading the row again.
    claimed = claimable.filter(attempts=attempts, attempts__lt=max_deaths).update(
        processing_status=ProcessingStatus.PROCESSING,
        attempts=attempt,
        lease_expires_at=lease,
        lease_holder=here,
        processing_started_at=now,
        processing_error="",
    )
    if not claimed:
        items_fail_dead(claimable.filter(attempts__gte=max_deaths))
        return None
    return Claim(
        model=model,
        item_id=item_id,
        attempt=attempt,
        item=item,
        # Written for the owner, in their language, whoever uploaded it.
        language=known_language(item.owner_language),
        has_faces=item.has_faces,
    )


def items_fail_dead(queryset: QuerySet) -> int:
    """Fail items that killed their worker too often, rather than hand them out for ever."""
    failed = 0
    for item_id, attempts in queryset.values_list("pk", "attempts"):
        failed += queryset.filter(pk=item_id, attempts=attempts).update(
            processing_status=ProcessingStatus.FAILED,
            lease_expires_at=None,
            processing_error=f"worker died {attempts} times processing this item",
        )
    return failed


def item_complete(claim: Claim, analysis: Analysis) -> bool:
    """Save the result if the claim still holds; tags and status land in one commit.

    The claim's language is the one the engine wrote in, recorded so search stems the
    words with it and the owner can see what is left to rewrite after changing theirs.
    """
    language = claim.language
    with transaction.atomic():
        saved = claim.held().update(
            processing_status=ProcessingStatus.COMPLETED,
            # A description a person wrote is theirs: only the AI's own is replaced.
            ai_description=Case(
                When(description_source=TagSource.PERSON, then=F("ai_description")),
                default=Value(analysis.description),
                output_field=TextField(),
            ),
            ai_analysis=analysis.to_dict(),
            ai_language=language,
            processed_at=timezone.now(),
            lease_expires_at=None,
            processing_error="",
            # Stale until recomputed below; should this worker die first, the sweep finds it.
            embedding=None,
            embedding_updated_at=timezone.now(),
            # The image-text model's vector comes with the analysis (none on other backends).
            **image_space_fields(analysis),
        )
        if saved:
            # Read now, not with `item`: a person may have removed a tag while the engine ran.
            removed_tags = (
                MediaItem.objects.filter(pk=claim.item_id)
                .values_list("removed_tags", flat=True)
                .get()
            )
            # A tag removed in one language stays removed in the next ("dog", then "Hund").
            removed = tag_names_in(language, removed_tags)
            ai_tags_replace(item_id=claim.item_id, tags=analysis.tags, removed=removed)
            item_search_index_update(claim.item)
    return bool(saved)


def ai_tags_replace(*, item_id: int, tags: list[ScoredTag], removed: Collection[str]) -> None:
    """Replace the item's AI tags; tags a person added or `removed` (any case) are never
    touched."""
    ItemTag.objects.filter(item_id=item_id, source=TagSource.AI).delete()
    removed = {name.lower() for name in removed}
    scores: dict[str, float] = {}
    for tag in tags:
        name = tag.name.strip()[:100]
        if name and name not in scores and name.lower() not in removed:
            scores[name] = tag.score
    ids = tag_ids_ensure(list(scores))
    ItemTag.objects.bulk_create(
        [
            ItemTag(item_id=item_id, tag_id=ids[name], source=TagSource.AI, score=score)
            for name, score in scores.items()
        ],
        ignore_conflicts=True,  # the same tag from a person already there wins
    )


def tag_ids_ensure(names: list[str]) -> dict[str, int]:
    """{name: id}, creating the tags that don't exist yet. The AI's vocabulary is small,
    so after the first items every name exists: one SELECT, no INSERT."""
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = [name for name in names if name not in ids]
    if missing:
        # Two workers may create the same new tag at once: ignore the loser's insert.
        Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
        ids.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
    return ids


def item_handle_error(
    claim: Claim, exc: Exception, *, final_try: bool, ai_settings: AISettings
) -> Outcome:
    reason, transient = error_reason(exc, ai_settings)
    if transient and not final_try:
        item_release(claim, reason)
        raise RetryLater(reason) from exc
    if not transient and reason.startswith("Unexpected"):
        logger.exception("%s ID: %s failed", claim.model._meta.model_name, claim.item_id)
    else:
        logger.warning("%s ID: %s failed: %s", claim.model._meta.model_name, claim.item_id, reason)
    item_fail(claim, reason)
    return Outcome.FAILED


def error_reason(exc: Exception, ai_settings: AISettings) -> tuple[str, bool]:
    """(reason shown to the user, transient?) for an error raised while analysing."""
    from celery.exceptions import SoftTimeLimitExceeded

    from ai_engine.errors import BackendUnavailable, ModelUnavailable, UnreadableMedia
    from photos.services.media_files import storage_unavailable

    if isinstance(exc, SoftTimeLimitExceeded):
        return (
            f"Timed out after {ai_settings.processing_timeout} s; "
            "raise the processing timeout in AI settings.",
            False,
        )
    if isinstance(exc, FileNotFoundError):
        return "The original file is missing from storage.", False
    if isinstance(exc, UnreadableMedia):
        return str(exc) or "The file cannot be read.", False
    if isinstance(exc, ModelUnavailable):
        return f"AI models unavailable: {exc}", False
    if isinstance(exc, BackendUnavailable | OSError) or storage_unavailable(exc):
        # Endpoint busy, network storage or bucket hiccup: the same item may work later.
        return f"Temporarily unavailable: {exc}", True
    return f"Unexpected error: {type(exc).__name__}: {exc}", False


def item_fail(claim: Claim, reason: str) -> bool:
    """Failed, and nothing left of an earlier success that would read as this run's result;
    a person's description and tags stay (they are theirs, not a result)."""
    with transaction.atomic():
        failed = claim.held().update(
            processing_status=ProcessingStatus.FAILED,
            processing_error=reason,
            lease_expires_at=None,
            ai_description=Case(
                When(description_source=TagSource.PERSON, then=F("ai_description")),
                default=Value(""),
                output_field=TextField(),
            ),
            ai_analysis={},
            ai_language="",
            processed_at=None,
            embedding=None,
            image_embedding=None,
            image_embedding_model="",
        )
        if failed:
            ai_tags_replace(item_id=claim.item_id, tags=[], removed=())
            item_search_index_update(claim.item)
    return bool(failed)


def item_release(claim: Claim, reason: str) -> bool:
    """Hand the claim back for a retry; the attempt is given back too (no worker died)."""
    return bool(
        claim.held().update(
            processing_status=ProcessingStatus.PENDING,
            attempts=F("attempts") - 1,
            processing_error=f"Will retry: {reason}",
            # The retry is already queued: keep the sweep from queuing another.
            lease_expires_at=timezone.now() + timedelta(seconds=settings.AI_SWEEP_AFTER),
        )
    )


def item_requeue_failed(*, item_id: int) -> bool:
    """A failed item back to pending with a fresh count (commands' --retry-failed)."""
    return bool(
        MediaItem.objects.filter(pk=item_id, processing_status=ProcessingStatus.FAILED).update(
            processing_status=ProcessingStatus.PENDING,
            attempts=0,
            processing_error="",
            lease_expires_at=None,
        )
    )


# --- queuing --------------------------------------------------------------------


def item_enqueue(*, kind: str, item_id: int, ai_settings: AISettings) -> None:
    """Queue one item once the transaction commits (at once outside one); see queue.py."""
    queue.items_process_on_commit(items=[(item_id, kind)], limits=time_limits(ai_settings))


def item_enqueue_on_commit(item: MediaItem, *, ai_settings: AISettings) -> None:
    """Queue the upload once its row is committed (the worker must be able to see it).

    A broker that is down must not fail the upload; the sweep queues the item
    later, since it was uploaded with auto-process on.
    """
    item_enqueue(kind=item.kind, item_id=item.pk, ai_settings=ai_settings)


def pending_mark_and_enqueue(*, queryset: QuerySet, limit: int | None) -> list[tuple[int, str]]:
    """Queue up to `limit` rows of `queryset`, marking them so no other sweeper sends them too.

    Returns the (id, kind) pairs queued.
    """
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: two beat/sweep runs at once take disjoint items.
        items = list(queryset.select_for_update(skip_locked=True).values_list("pk", "kind")[:limit])
        MediaItem.objects.filter(
            pk__in=[pk for pk, _ in items], processing_status=ProcessingStatus.PENDING
        ).update(lease_expires_at=now + timedelta(seconds=settings.AI_SWEEP_AFTER))
        if items:
            queue.items_process_on_commit(items=items, limits=time_limits(ai_settings_get()))
    return items


def pending_batch_enqueue(*, kind: str) -> int:
    """The nightly batch: the oldest pending items, up to the batch size, one task each."""
    ai_settings = ai_settings_get()
    if not ai_settings.scheduled_processing_enabled:
        logger.info("Scheduled processing is off; skipped pending %ss", kind)
        return 0
    pending = (
        KINDS[kind]
        .model.objects.filter(processing_status=ProcessingStatus.PENDING)
        .order_by("uploaded_at", "pk")
    )
    ids = pending_mark_and_enqueue(queryset=pending, limit=ai_settings.batch_size)
    logger.info(
        "Queued %d pending %ss for AI processing (batch size %d)",
        len(ids),
        kind,
        ai_settings.batch_size,
    )
    return len(ids)


def stale_pending_enqueue() -> int:
    """The sweep: pending items whose message may be lost are queued again.

    - Auto-process uploads still unqueued long after upload: their send failed, or Redis
      lost the message.
    - Items queued (by a batch, the sweep, the reaper or a retry) and still unclaimed when
      their "queued" mark ran out: Redis lost the message. Items uploaded with
      auto-process off and never queued are left for the nightly batch.
    """
    now = timezone.now()
    never_queued = Q(
        lease_expires_at__isnull=True,
        auto_process=True,
        uploaded_at__lt=now - timedelta(seconds=settings.AI_SWEEP_AFTER),
    )
    stale = MediaItem.objects.filter(
        never_queued | Q(lease_expires_at__lt=now), processing_status=ProcessingStatus.PENDING
    ).order_by("uploaded_at", "pk")
    ids = pending_mark_and_enqueue(queryset=stale, limit=ai_settings_get().batch_size)
    if ids:
        logger.info("Sweep: queued %d waiting items again", len(ids))
    return len(ids)


def expired_leases_reap() -> int:
    """The reaper: items whose worker died go back to pending, and are queued again."""
    now = timezone.now()
    expired = MediaItem.objects.filter(
        processing_status=ProcessingStatus.PROCESSING, lease_expires_at__lt=now
    )
    dead = items_fail_dead(expired.filter(attempts__gte=settings.AI_MAX_WORKER_DEATHS))
    with transaction.atomic():
        items = list(
            expired.filter(attempts__lt=settings.AI_MAX_WORKER_DEATHS)
            .select_for_update(skip_locked=True)
            .values_list("pk", "kind")[: settings.AI_BATCH_SIZE]
        )
        # The death was counted when the item was claimed; the next claim counts anew.
        expired.filter(pk__in=[pk for pk, _ in items]).update(
            processing_status=ProcessingStatus.PENDING,
            lease_expires_at=now + timedelta(seconds=settings.AI_SWEEP_AFTER),
            processing_error="The worker processing this item was lost; queued again.",
        )
        if items:
            queue.items_process_on_commit(items=items, limits=time_limits(ai_settings_get()))
    if items or dead:
        logger.info("Reaper: %d items queued again, %d failed", len(items), dead)
    return len(items)


# --- manual runs (commands, no Celery) ------------------------------------------


def items_for_manual_run(
    *, kind: str, limit: int, retry_failed: bool = False, item_id: int | None = None
) -> list[int]:
    """Oldest first: the pending items (and failed ones when asked), or the one named."""
    model = KINDS[kind].model
    statuses = [ProcessingStatus.PENDING]
    if retry_failed:
        statuses.append(ProcessingStatus.FAILED)
    items = model.objects.filter(processing_status__in=statuses).order_by("uploaded_at", "pk")
    if item_id is not None:
        items = items.filter(pk=item_id)
    return list(items.values_list("pk", flat=True)[:limit])


def item_process_now(*, kind: str, item_id: int) -> tuple[Outcome, str]:
    """One item in this process (commands): (outcome, the reason when it failed)."""
    item_requeue_failed(item_id=item_id)
    outcome = item_process(kind=kind, item_id=item_id)
    error = MediaItem.objects.filter(pk=item_id).values_list("processing_error", flat=True).first()
    return outcome, error or ""
