"""The checklist's eight validation tests, run against the live deployment.

Each test returns a figure (what it measured) or raises CheckFailed; the
runner adds the checklist's "If Failed" hint. Tests that need a worker are
skipped once test 1 found none, so a stopped worker fails fast and clearly.
Test data lives in a temporary user's temporary album and is deleted, files
included, whatever happens.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import psutil
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from kombu.utils.url import maybe_sanitize_url

from photos.models import Album, MediaItem, Photo, ProcessingStatus
from photos.selectors import ops
from photos.services.ai_sample import SAMPLE_PHOTO
from photos.services.ai_settings import ai_settings_get
from photos.services.beat import beat_alive, beat_heartbeat_age

DONE = (ProcessingStatus.COMPLETED, ProcessingStatus.FAILED)
# The checklist's baseline and red flags (Test 8).
WORKER_MEMORY_LIMIT = 4 * 1024**3
REDIS_MEMORY_LIMIT = 100 * 1024**2


class CheckFailed(Exception):
    pass


@dataclass
class TestResult:
    number: int
    name: str
    status: str  # PASS, FAIL or SKIP
    figure: str = ""
    seconds: float = 0.0
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Run:
    """What the tests share: the timeout, the workers found, and what to clean up."""

    timeout: float
    workers: list[str] = field(default_factory=list)
    album: Album | None = None


@dataclass(frozen=True)
class Check:
    number: int
    name: str
    run: Callable[[Run], str]
    hint: str
    needs_worker: bool = True


# --- 1, 2: broker, worker, round trip -------------------------------------------------


def check_connectivity(run: Run) -> str:
    from photo_album.celery import app

    broker = maybe_sanitize_url(settings.CELERY_BROKER_URL)
    try:
        ops.broker_client().ping()
    except Exception as error:  # redis-py raises several types for a dead server
        raise CheckFailed(f"Redis at {broker} does not answer: {error}") from error
    # The checklist's own call: app.control.inspect().active() lists the workers.
    active = app.control.inspect(timeout=min(run.timeout, 2.0)).active()
    if not active:
        raise CheckFailed(f"no worker answered on {broker}")
    run.workers = sorted(active)
    return f"{len(active)} worker(s): {', '.join(run.workers)} on {broker}"


def check_round_trip(run: Run) -> str:
    from photos.tasks import test_celery_task

    started = time.perf_counter()
    result = test_celery_task.delay()
    try:
        value = result.get(timeout=run.timeout)
    except Exception as error:  # TimeoutError, or the task's own exception
        raise CheckFailed(f"task {result.id}: {type(error).__name__}: {error}") from error
    finally:
        result.forget()
    if value != "Celery is working!":
        raise CheckFailed(f"unexpected result {value!r}")
    return f"{value!r} in {time.perf_counter() - started:.2f} s"


# --- 3, 4, 5, 7: items through the pipeline --------------------------------------------


def check_photo_upload(run: Run) -> str:
    from photos.services.uploads import photo_create

    return _upload_and_wait(run, photo_create, SAMPLE_PHOTO.read_bytes(), "validation-sample.jpg")


def check_video_upload(run: Run) -> str:
    from photos.services.uploads import video_create

    return _upload_and_wait(run, video_create, sample_video_bytes(), "validation-sample.mp4")


def _upload_and_wait(run: Run, create, data: bytes, filename: str) -> str:
    """Upload through the real service, as the page does, and time it to `completed`."""
    started = time.perf_counter()
    album = _album(run)
    item = create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=filename, size=len(data)
    )
    how = _queue_unless_auto(item)
    done = _wait_done(item, run.timeout)
    return _completed_figure(done, started, how)


def check_manual_command(run: Run) -> str:
    # The same service `process_photos_ai` calls, in this process, without Celery.
    from photos.services.processing import Outcome, item_process_now

    photo = _photo_row(run, SAMPLE_PHOTO.read_bytes())
    started = time.perf_counter()
    outcome, error = item_process_now(kind="photo", item_id=photo.pk)
    if outcome != Outcome.COMPLETED:
        raise CheckFailed(f"photo {photo.pk}: {outcome} {error}".strip())
    photo.refresh_from_db()
    return f"photo completed in {time.perf_counter() - started:.1f} s here ({_tags(photo)} tags)"


def check_missing_file(run: Run) -> str:
    from photo_album.celery import app
    from photos.services.processing import item_enqueue

    photo = _photo_row(run, None)
    started = time.perf_counter()
    item_enqueue(kind="photo", item_id=photo.pk, ai_settings=ai_settings_get())
    item = _wait_done(photo, run.timeout)
    if item.processing_status != ProcessingStatus.FAILED:
        raise CheckFailed(f"photo {photo.pk} ended {item.processing_status}, not failed")
    pongs = app.control.inspect(destination=run.workers, timeout=2.0).ping() or {}
    if set(pongs) != set(run.workers):
        raise CheckFailed(f"worker(s) gone after the failure: {set(run.workers) - set(pongs)}")
    took = time.perf_counter() - started
    return (
        f"failed in {took:.1f} s ({item.processing_error!r}); {len(pongs)} worker(s) still answer"
    )


# --- 6, 8: schedule and resources -------------------------------------------------------


def check_beat_schedule(run: Run) -> str:
    from photo_album.celery import app

    # The checklist reads app.conf.beat_schedule; the live times are beat's rows.
    missing = [name for name in ops.NIGHTLY_TASK_NAMES if name not in app.conf.beat_schedule]
    if missing:
        raise CheckFailed(f"not in app.conf.beat_schedule: {', '.join(missing)}")
    row = ai_settings_get()
    entries = ops.nightly_schedule()
    absent = [entry["name"] for entry in entries if not entry["exists"]]
    if absent:
        raise CheckFailed(f"beat has no schedule rows for {', '.join(absent)} (start beat)")
    wanted = f"{row.schedule_minute} {row.schedule_hour} "
    stale = [entry["name"] for entry in entries if not entry["crontab"].startswith(wanted)]
    if stale:
        raise CheckFailed(f"{', '.join(stale)} do not follow the AI settings' time ({wanted})")
    age = beat_heartbeat_age()
    if not beat_alive(age):
        last = "never" if age is None else f"{age:.0f} s ago"
        raise CheckFailed(f"beat is not ticking (last heartbeat: {last}); start beat")
    state = "on" if row.scheduled_processing_enabled else "off (AI settings)"
    next_run = entries[0]["next_run_at"] or "-"
    return (
        f"{', '.join(ops.NIGHTLY_TASK_NAMES)} at {row.schedule_hour:02d}:"
        f"{row.schedule_minute:02d}, {state}; next run {next_run}; beat ticked {age:.0f} s ago"
    )


def check_resources(run: Run) -> str:
    workers = ops.workers_inspect(timeout=2.0).workers
    redis_memory = ops.redis_memory()
    queues = ops.queue_lengths()
    problems, figures = [], []
    for worker in workers:
        rss = worker_memory_bytes(worker)
        figures.append(f"{worker.name} {rss / 1024**2:.0f} MB")
        if rss > WORKER_MEMORY_LIMIT:
            problems.append(f"{worker.name} uses {rss / 1024**3:.1f} GB (> 4 GB)")
    if redis_memory is None:
        problems.append("Redis INFO memory did not answer")
    else:
        used = redis_memory["used_memory"]
        figures.append(f"Redis {used / 1024**2:.1f} MB")
        if used > REDIS_MEMORY_LIMIT:
            problems.append(f"Redis uses {used / 1024**2:.0f} MB (> 100 MB)")
    # More waiting than two nightly batches explain: the queue is growing, not draining.
    backlog_limit = 2 * ai_settings_get().batch_size + 100
    for queue, length in queues.items():
        figures.append(f"queue {queue}={length}")
        if length is not None and length > backlog_limit:
            problems.append(f"queue {queue} holds {length} (> {backlog_limit})")
    if problems:
        raise CheckFailed("; ".join(problems + figures))
    return ", ".join(figures)


def worker_memory_bytes(worker: ops.WorkerInfo) -> int:
    """Resident memory of a worker and its pool: psutil when it runs here, else its rusage."""
    try:
        main = psutil.Process(worker.pid) if worker.pid else None
        if main is not None and "celery" in " ".join(main.cmdline()):
            return sum(p.memory_info().rss for p in [main, *main.children(recursive=True)])
    except psutil.Error:
        pass  # another machine's pid, or gone: fall back to what the worker reports
    return (worker.max_rss_kb or 0) * 1024


# --- the run -----------------------------------------------------------------------------

CHECKS = (
    Check(1, "Worker connectivity", check_connectivity,
          "Check Redis connection, verify CELERY_BROKER_URL setting; is the worker running? "
          "sudo systemctl status photo-album-celery-worker", needs_worker=False),
    Check(2, "Simple task execution", check_round_trip,
          "Check worker logs: sudo tail -f /var/log/celery/worker.log; verify the worker "
          "service is running; check for task routing errors"),
    Check(3, "Photo upload with auto-processing", check_photo_upload,
          "Check worker logs for errors (CUDA, model loading, permissions); verify AI models: "
          "python manage.py check_ai_models; check the photo file exists and is readable"),
    Check(4, "Video upload with auto-processing", check_video_upload,
          "Check worker logs; verify AI models: python manage.py check_ai_models; check PyAV "
          "can read the video"),
    Check(5, "Manual processing command", check_manual_command,
          "Run python manage.py process_photos_ai --limit 1 and read its error; "
          "python manage.py check_ai_models", needs_worker=False),
    Check(6, "Scheduled processing (beat)", check_beat_schedule,
          "Check beat: sudo systemctl status photo-album-celery-beat; save /ai-settings/ "
          "again to rewrite the schedule", needs_worker=False),
    Check(7, "Error handling (missing file)", check_missing_file,
          "Check worker logs: the task must mark the item failed, not crash the worker"),
    Check(8, "Performance and resources", check_resources,
          "Memory growing: restart the worker daily, lower concurrency (-c 1) or batch size in "
          "AI settings; queue growing: add workers; Redis: redis-cli INFO memory"),
)  # fmt: skip


def validation_run(
    *,
    skip: set[int] = frozenset(),
    timeout: float = 180.0,
    on_result: Callable[[TestResult], None] | None = None,
) -> list[TestResult]:
    results = []
    run = Run(timeout=timeout)
    try:
        for check in CHECKS:
            result = _run_one(check, run, skip=skip, results=results)
            results.append(result)
            if on_result:
                on_result(result)
    finally:
        test_data_delete(run)
    return results


def _run_one(check: Check, run: Run, *, skip: set[int], results: list[TestResult]) -> TestResult:
    result = TestResult(number=check.number, name=check.name, status="SKIP")
    if check.number in skip:
        result.figure = "left out (--skip)"
        return result
    if check.needs_worker and not run.workers:
        result.figure = "no worker (test 1 did not pass)"
        return result
    started = time.perf_counter()
    try:
        result.figure = check.run(run)
        result.status = "PASS"
    except CheckFailed as error:
        result.status, result.figure, result.hint = "FAIL", str(error), check.hint
    except Exception as error:  # a test must report, never abort the others
        result.status, result.hint = "FAIL", check.hint
        result.figure = f"{type(error).__name__}: {error}"
    result.seconds = round(time.perf_counter() - started, 2)
    return result


# --- test data ------------------------------------------------------------------------------


def _album(run: Run) -> Album:
    if run.album is None:
        name = f"validate-deployment-{uuid.uuid4().hex[:8]}"
        user = get_user_model().objects.create_user(username=name, password=None)
        run.album = Album.objects.create(owner=user, title=name)
    return run.album


def test_data_delete(run: Run) -> None:
    """The temporary user, album, items and every stored file."""
    from photos.services.uploads import item_files_delete

    if run.album is None:
        return
    album = Album.objects.filter(pk=run.album.pk).first()
    if album is not None:
        for item in album.items.all():
            item_files_delete(item)
    get_user_model().objects.filter(pk=run.album.owner_id).delete()  # cascades to the album
    run.album = None


def _photo_row(run: Run, data: bytes | None) -> Photo:
    """A photo row that no upload queued: with the given bytes stored, or a missing file."""
    album = _album(run)
    name = f"originals/photos/validation/{uuid.uuid4().hex}.jpg"
    if data is not None:
        name = default_storage.save(name, ContentFile(data))
    return Photo.objects.create(
        album=album, uploader=album.owner, original=name,
        original_filename=Path(name).name, content_type="image/jpeg",
        size_bytes=len(data or b""), checksum_sha256=uuid.uuid4().hex,
        auto_process=False,
    )  # fmt: skip


def _queue_unless_auto(item: MediaItem) -> str:
    """Auto-process queues the upload itself; when it is off, queue it as a retry would."""
    if item.auto_process:
        return "auto-process on"
    from photos.services.processing import item_enqueue

    item_enqueue(kind=item.kind, item_id=item.pk, ai_settings=ai_settings_get())
    return "auto-process is off in AI settings: queued explicitly"


def _wait_done(item: MediaItem, timeout: float) -> MediaItem:
    deadline = time.monotonic() + timeout
    model = type(item)
    while time.monotonic() < deadline:
        status = model.objects.filter(pk=item.pk).values_list("processing_status", flat=True)
        if status.first() in DONE:
            return model.objects.get(pk=item.pk)
        time.sleep(0.25)
    current = model.objects.filter(pk=item.pk).values_list("processing_status", flat=True).first()
    raise CheckFailed(f"{item.kind} {item.pk} still {current} after {timeout:g} s")


def _completed_figure(item: MediaItem, started: float, how: str) -> str:
    if item.processing_status != ProcessingStatus.COMPLETED:
        raise CheckFailed(f"{item.kind} {item.pk} failed: {item.processing_error}")
    tags = _tags(item)
    if not item.ai_description or not 1 <= tags <= 10:
        raise CheckFailed(f"{item.kind} {item.pk}: description or tags missing ({tags} tags)")
    took = time.perf_counter() - started
    return f"{item.kind} completed in {took:.1f} s, {tags} tags ({how})"


def _tags(item: MediaItem) -> int:
    return item.tags.count()


def sample_video_bytes(*, seconds: float = 2.0, fps: int = 10) -> bytes:
    """A short MP4 of the bundled photo, drifting slowly so frames differ; made with PyAV."""
    import av
    import numpy as np
    from PIL import Image

    image = Image.open(SAMPLE_PHOTO).convert("RGB")
    width, height = 320, 212  # even sides for yuv420p
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(int(seconds * fps)):
            crop = image.crop((n, 0, image.width - 20 + n, image.height)).resize((width, height))
            frame = av.VideoFrame.from_ndarray(np.asarray(crop), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def summary(results: list[TestResult]) -> dict[str, int]:
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for result in results:
        counts[result.status] += 1
    return counts


def now_iso() -> str:
    return timezone.now().isoformat()
