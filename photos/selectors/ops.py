"""Reads for operations: the health checks, the dashboard and /metrics.

Everything here only reads. The figures come from the database (the truth),
from Celery's broadcast inspect (which workers answer) and from the Redis
broker (queue lengths, memory). Broker calls use short timeouts so a dead
broker or an absent worker makes a page slower by about a second, never hang it.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import psutil
import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from photos.kinds import KINDS
from photos.models import MediaItem, ProcessingStatus
from photos.services.beat import BEAT_STOPPED_HINT, beat_alive, beat_heartbeat_age
from photos.services.queue import GPU_QUEUE, INTERACTIVE_QUEUE

NIGHTLY_TASK_NAMES = tuple(kind.beat_entry for kind in KINDS.values())
INSPECT_TIMEOUT_S = 1.0
# The checklist's daily and weekly checks.
FAILED_WINDOW = timedelta(days=1)
STUCK_PENDING_AFTER = timedelta(days=7)
NO_WORKER_HINT = (
    "No worker is running. Start one: sudo systemctl start photo-album-celery-worker "
    "(or `celery -A photo_album worker -l info`); check Redis with `redis-cli ping` "
    "and the CELERY_BROKER_URL setting."
)


# --- Workers (Celery inspect) ---------------------------------------------------


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    pool: str = ""
    concurrency: int | None = None
    tasks_running: int = 0
    pid: int | None = None
    max_rss_kb: int | None = None  # the main process's peak, which loads no model
    tasks_done: int = 0
    # Each pool process (where the models live): pid, rss_bytes, peak_rss_bytes.
    pool_processes: list[dict[str, Any]] = field(default_factory=list)
    queues: tuple[str, ...] = ()  # what it consumes: `celery`, `interactive` or both


@dataclass(frozen=True)
class WorkersReport:
    workers: list[WorkerInfo] = field(default_factory=list)
    error: str = ""  # why the broker could not be asked, when it could not

    @property
    def online(self) -> int:
        return len(self.workers)

    def consuming(self, queue_name: str) -> bool:
        return any(queue_name in worker.queues for worker in self.workers)


def workers_inspect(*, timeout: float = INSPECT_TIMEOUT_S) -> WorkersReport:
    """Which workers answer, with their pool, concurrency and running tasks.

    Ping first: with no worker it costs one timeout, not three. Stats and
    active then ask only the workers that answered, with `limit` so they
    return as soon as all have replied instead of waiting out the timeout.
    """
    from photo_album.celery import app

    try:
        pongs = app.control.inspect(timeout=timeout).ping() or {}
        if not pongs:
            return WorkersReport()
        names = sorted(pongs)
        detail = app.control.inspect(destination=names, timeout=timeout, limit=len(names))
        stats = detail.stats() or {}
        active = detail.active() or {}
        # photos.worker_control's command; an older worker without it answers an error.
        # _request() answers {worker: reply} through _prepare() (celery-stubs say a list).
        memory = cast(dict[str, Any], detail._request("pool_memory") or {})
        queues = detail.active_queues() or {}
    except Exception as error:  # kombu raises several types for an unreachable broker
        return WorkersReport(error=f"{type(error).__name__}: {error}")
    return WorkersReport(
        workers=[
            _worker_info(n, dict(stats.get(n) or {}), active.get(n), queues.get(n), memory.get(n))
            for n in names
        ]
    )


def _worker_info(
    name: str,
    stats: dict[str, Any],
    active: list | None,
    queues: list | None,
    memory: Any = None,
) -> WorkerInfo:
    pool = stats.get("pool") or {}
    implementation = str(pool.get("implementation", ""))
    return WorkerInfo(
        name=name,
        # "celery.concurrency.prefork:TaskPool" -> "prefork"
        pool=implementation.split(":")[0].rsplit(".", 1)[-1],
        concurrency=pool.get("max-concurrency"),
        tasks_running=len(active or []),
        pid=stats.get("pid"),
        max_rss_kb=(stats.get("rusage") or {}).get("maxrss"),
        tasks_done=sum((stats.get("total") or {}).values()),
        pool_processes=memory if isinstance(memory, list) else [],
        queues=tuple(sorted(str(queue.get("name")) for queue in queues or ())),
    )


# --- Broker (Redis) ----------------------------------------------------------------


def broker_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=2
    )


def queue_names() -> list[str]:
    """The default queue ("celery"), any queue the Celery config names, and `gpu` (only
    a GPU worker declares it, at start)."""
    from photo_album.celery import app

    names = {app.conf.task_default_queue or "celery", GPU_QUEUE}
    for queue in app.conf.task_queues or ():
        names.add(getattr(queue, "name", str(queue)))
    return sorted(names)


def queue_lengths() -> dict[str, int | None]:
    """Messages waiting per queue (Redis LLEN); None for each when Redis can't be asked."""
    names = queue_names()
    try:
        client = broker_client()
        return {name: int(client.llen(name)) for name in names}
    except redis.RedisError:
        return dict.fromkeys(names)


def redis_memory() -> dict[str, int] | None:
    try:
        info = broker_client().info("memory")
    except redis.RedisError:
        return None
    return {"used_memory": int(info["used_memory"]), "peak": int(info["used_memory_peak"])}


# --- Items (database) ---------------------------------------------------------------


def status_counts() -> dict[str, dict[str, int]]:
    """{"photos": {"pending": n, ...}, "videos": {...}} with every status present: one query."""
    rows = (
        MediaItem.objects.order_by()
        .values_list("kind", "processing_status")
        .annotate(n=Count("pk"))
    )
    found = {(kind, status): n for kind, status, n in rows}
    return {
        kind.plural: {status: found.get((name, status), 0) for status in ProcessingStatus.values}
        for name, kind in KINDS.items()
    }


def per_kind(items: QuerySet) -> dict[str, int]:
    """{"photos": n, "videos": n} for a query over items: one grouped COUNT."""
    found = dict(items.order_by().values_list("kind").annotate(n=Count("pk")))
    return {kind.plural: found.get(name, 0) for name, kind in KINDS.items()}


def failed_recently(*, now: datetime) -> QuerySet:
    # The checklist counts failures by upload time; an older item that failed
    # again today (a retry) counts too, through its processing times.
    since = now - FAILED_WINDOW
    return MediaItem.objects.filter(processing_status=ProcessingStatus.FAILED).filter(
        Q(uploaded_at__gte=since) | Q(processed_at__gte=since) | Q(processing_started_at__gte=since)
    )


def stuck_pending(*, now: datetime) -> QuerySet:
    return MediaItem.objects.filter(
        processing_status=ProcessingStatus.PENDING, uploaded_at__lte=now - STUCK_PENDING_AFTER
    )


def processing_past_lease(*, now: datetime) -> QuerySet:
    # A processing row without a lease has no owner anyone could wait for.
    return MediaItem.objects.filter(processing_status=ProcessingStatus.PROCESSING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    )


def completed_since(*, since: datetime) -> int:
    return MediaItem.objects.filter(
        processing_status=ProcessingStatus.COMPLETED, processed_at__gte=since
    ).count()


def median_upload_to_completed_s(*, sample: int = 1000) -> float | None:
    """Median seconds from upload to completed over the most recent completions."""
    pairs = (
        MediaItem.objects.filter(
            processing_status=ProcessingStatus.COMPLETED, processed_at__isnull=False
        )
        .order_by("-processed_at")
        .values_list("uploaded_at", "processed_at")[:sample]
    )
    seconds = [(done - uploaded).total_seconds() for uploaded, done in pairs if done]
    return round(statistics.median(seconds), 1) if seconds else None


def recent_failures(*, limit: int = 20) -> list[dict[str, Any]]:
    failed = (
        MediaItem.objects.filter(processing_status=ProcessingStatus.FAILED)
        .defer("embedding", "image_embedding", "search_vector", "ai_analysis")
        .order_by(
            Coalesce("processed_at", "processing_started_at", "uploaded_at").desc(),
            "-uploaded_at",
        )[:limit]
    )
    return [_failure_row(item) for item in failed]


def _failure_row(item: MediaItem) -> dict[str, Any]:
    when = item.processed_at or item.processing_started_at or item.uploaded_at
    return {
        "kind": item.kind,
        "id": item.pk,
        "filename": item.original_filename,
        "error": item.processing_error,
        "attempts": item.attempts,
        "when": when.isoformat() if when else None,
        "url": item.get_absolute_url(),
        "retry_url": reverse("item-retry", args=[item.kind, item.pk]),
    }


# --- Nightly batch (django-celery-beat) ---------------------------------------------


def nightly_schedule(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each nightly PeriodicTask: on or off, its crontab, last and next run."""
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    tasks = PeriodicTask.objects.filter(name__in=NIGHTLY_TASK_NAMES).select_related("crontab")
    found = {task.name: task for task in tasks}
    return [_schedule_row(name, found.get(name), now) for name in NIGHTLY_TASK_NAMES]


def _schedule_row(name: str, task: Any, now: datetime) -> dict[str, Any]:
    if task is None:
        return {
            "name": name,
            "exists": False,
            "enabled": False,
            "crontab": "",
            "last_run_at": None,
            "next_run_at": None,
        }
    next_run = crontab_next_run(task.crontab, now=now) if task.crontab and task.enabled else None
    return {
        "name": name,
        "exists": True,
        "enabled": task.enabled,
        "task": task.task,
        "crontab": _crontab_text(task.crontab),
        "last_run_at": task.last_run_at.isoformat() if task.last_run_at else None,
        "next_run_at": next_run.isoformat() if next_run else None,
    }


def crontab_next_run(crontab: Any, *, now: datetime) -> datetime:
    remaining = crontab.schedule.remaining_estimate(now)
    # Celery's estimate lands a few microseconds before the minute; round to it.
    return (now + remaining + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _crontab_text(crontab: Any) -> str:
    if crontab is None:
        return ""
    return (
        f"{crontab.minute} {crontab.hour} {crontab.day_of_month} {crontab.month_of_year} "
        f"{crontab.day_of_week} ({crontab.timezone})"
    )


# --- Reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthReport:
    """The checklist's daily and weekly checks in one place."""

    checked_at: datetime
    failed_24h: dict[str, int]
    pending_over_7d: dict[str, int]
    processing_past_lease: dict[str, int]
    workers: WorkersReport
    # Seconds since beat's last tick (None: never); see photos.services.beat.
    beat_age_s: float | None = None

    @property
    def problems(self) -> list[str]:
        found = []
        if sum(self.failed_24h.values()):
            found.append("items failed in the last 24 hours")
        if sum(self.pending_over_7d.values()):
            found.append("items pending for over 7 days")
        if sum(self.processing_past_lease.values()):
            found.append("items processing past their lease")
        if not self.workers.online:
            found.append("no worker is running")
        elif not self.workers.consuming(INTERACTIVE_QUEUE):
            found.append(
                "no worker consumes the interactive queue (searches answer by words only; "
                "start photo-album-celery-interactive)"
            )
        if not self.beat_alive:
            found.append("beat is not running")
        return found

    @property
    def beat_alive(self) -> bool:
        return beat_alive(self.beat_age_s)

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "failed_24h": self.failed_24h,
            "pending_over_7d": self.pending_over_7d,
            "processing_past_lease": self.processing_past_lease,
            "workers_online": self.workers.online,
            "workers": [asdict(worker) for worker in self.workers.workers],
            "broker_error": self.workers.error,
            "beat": {
                "alive": self.beat_alive,
                "last_tick_age_s": None if self.beat_age_s is None else round(self.beat_age_s, 1),
            },
            "needs_attention": self.needs_attention,
            "problems": self.problems,
        }


def health_report(
    *, now: datetime | None = None, timeout: float = INSPECT_TIMEOUT_S
) -> HealthReport:
    # Workers first: the inspect waits out its timeout, and the database figures
    # read after it then agree with each other (and with status_counts()).
    workers = workers_inspect(timeout=timeout)
    now = now or timezone.now()
    return HealthReport(
        checked_at=now,
        failed_24h=per_kind(failed_recently(now=now)),
        pending_over_7d=per_kind(stuck_pending(now=now)),
        processing_past_lease=per_kind(processing_past_lease(now=now)),
        workers=workers,
        beat_age_s=beat_heartbeat_age(),
    )


def dashboard_snapshot(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything /ops/status.json returns; the dashboard page renders the same."""
    health = health_report(now=now)
    now = health.checked_at
    queues = queue_lengths()
    return {
        **health.as_dict(),
        "no_worker_hint": NO_WORKER_HINT,
        "beat_stopped_hint": BEAT_STOPPED_HINT,
        "queues": queues,
        "queue_total": sum(n for n in queues.values() if n is not None),
        "status_counts": status_counts(),
        "completed_last_hour": completed_since(since=now - timedelta(hours=1)),
        "median_upload_to_completed_s": median_upload_to_completed_s(),
        "nightly": nightly_schedule(now=now),
        "recent_failures": recent_failures(),
    }


# --- Metrics --------------------------------------------------------------------------

# Seconds; the checklist expects 1-3 minutes a photo on CPU, 2-5 for a video.
PROCESSING_BUCKETS_S = (1, 5, 10, 30, 60, 120, 180, 300, 600, 1800, 3600)


def processing_time_histograms() -> dict[str, dict[str, Any]]:
    """Per kind name: cumulative bucket counts, sum and count of
    processed_at - processing_started_at; one grouped query."""
    duration = ExpressionWrapper(
        F("processed_at") - F("processing_started_at"), output_field=DurationField()
    )
    timed = MediaItem.objects.filter(
        processing_status=ProcessingStatus.COMPLETED,
        processed_at__isnull=False,
        processing_started_at__isnull=False,
    ).annotate(duration=duration)
    aggregates = {
        f"le_{bound}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for bound in PROCESSING_BUCKETS_S
    }
    rows = (
        timed.order_by()
        .values("kind")
        .annotate(count=Count("pk"), total=Sum("duration"), **aggregates)
    )
    found: dict[str, dict[str, Any]] = {row["kind"]: dict(row) for row in rows}
    empty = {"count": 0, "total": None, **dict.fromkeys(aggregates, 0)}
    return {
        name: {
            "buckets": [(bound, row[f"le_{bound}"]) for bound in PROCESSING_BUCKETS_S],
            "count": row["count"],
            "sum": row["total"].total_seconds() if row["total"] else 0.0,
        }
        for name in KINDS
        for row in [found.get(name, empty)]
    }


def metrics_text(*, now: datetime | None = None) -> str:
    """Prometheus text exposition: items by status, processed/failed, time histogram, queues."""
    now = now or timezone.now()
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])

    by_plural = status_counts()
    counts = {kind.name: by_plural[kind.plural] for kind in KINDS.values()}
    family("photo_album_items", "gauge", "Photos and videos by processing status.")
    for kind, by_status in counts.items():
        for status, n in by_status.items():
            lines.append(f'photo_album_items{{kind="{kind}",status="{status}"}} {n}')
    # From the rows, so they survive restarts; a reprocessed item counts once.
    family("photo_album_items_processed_total", "counter", "Items whose processing completed.")
    for kind, by_status in counts.items():
        lines.append(
            f'photo_album_items_processed_total{{kind="{kind}"}} '
            f"{by_status[ProcessingStatus.COMPLETED]}"
        )
    family("photo_album_items_failed_total", "counter", "Items whose processing failed.")
    for kind, by_status in counts.items():
        lines.append(
            f'photo_album_items_failed_total{{kind="{kind}"}} {by_status[ProcessingStatus.FAILED]}'
        )
    family(
        "photo_album_processing_seconds",
        "histogram",
        "Seconds from claim to completion (processed_at - processing_started_at).",
    )
    for kind_name, histogram in processing_time_histograms().items():
        lines += _histogram_lines(kind_name, histogram)
    family("photo_album_queue_length", "gauge", "Messages waiting in the broker queue.")
    for queue, length in queue_lengths().items():
        if length is not None:
            lines.append(f'photo_album_queue_length{{queue="{queue}"}} {length}')
    lines += pool_memory_lines(workers_inspect().workers)
    family("photo_album_failed_last_24h", "gauge", "Items failed in the last 24 hours.")
    failed = per_kind(failed_recently(now=now))
    for each in KINDS.values():
        lines.append(f'photo_album_failed_last_24h{{kind="{each.name}"}} {failed[each.plural]}')
    return "\n".join(lines) + "\n"


def pool_memory_lines(workers: list[WorkerInfo]) -> list[str]:
    """Resident memory of each pool process, now and at its peak."""
    lines: list[str] = []
    for metric, key, help_text in (
        ("photo_album_worker_pool_rss_bytes", "rss_bytes", "Resident memory of a pool process."),
        (
            "photo_album_worker_pool_peak_rss_bytes",
            "peak_rss_bytes",
            "Peak resident memory of a pool process.",
        ),
    ):
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
        for worker in workers:
            for process in worker.pool_processes:
                if process.get(key) is not None:
                    labels = f'worker="{worker.name}",pid="{process["pid"]}"'
                    lines.append(f"{metric}{{{labels}}} {process[key]}")
    return lines


def _histogram_lines(kind: str, histogram: dict[str, Any]) -> list[str]:
    name = "photo_album_processing_seconds"
    lines = [
        f'{name}_bucket{{kind="{kind}",le="{bound}"}} {n}' for bound, n in histogram["buckets"]
    ]
    lines.append(f'{name}_bucket{{kind="{kind}",le="+Inf"}} {histogram["count"]}')
    lines.append(f'{name}_sum{{kind="{kind}"}} {histogram["sum"]:.3f}')
    lines.append(f'{name}_count{{kind="{kind}"}} {histogram["count"]}')
    return lines


# --- One item's live status -------------------------------------------------------------


def item_live_status(item: MediaItem) -> dict[str, Any]:
    """What an item page polls: status, error, description and tags, read fresh."""
    item.refresh_from_db()
    tags = item.item_tags.select_related("tag").order_by(F("score").desc(nulls_last=True))
    return {
        "kind": item.kind,
        "id": item.pk,
        "status": item.processing_status,
        "status_label": item.get_processing_status_display(),
        "error": item.processing_error if item.processing_status == ProcessingStatus.FAILED else "",
        "description": item.ai_description,
        "tags": [{"name": t.tag.name, "source": t.source, "score": t.score} for t in tags],
        "processed_at": item.processed_at.isoformat() if item.processed_at else None,
    }


# --- Worker concurrency hint -------------------------------------------------------------

# The checklist: models take 2-4 GB per process and one inference already
# spreads over every core, so more processes than memory allows only swap.
MODEL_MEMORY_BYTES = 2 * 1024**3


def concurrency_suggestion() -> dict[str, Any]:
    cores = os.cpu_count() or 1
    by_memory = max(1, psutil.virtual_memory().total // MODEL_MEMORY_BYTES)
    suggested = max(1, min(cores // 2 or 1, by_memory))
    return {
        "cores": cores,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "suggested": int(suggested),
    }
