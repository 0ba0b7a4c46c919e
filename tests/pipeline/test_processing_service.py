"""The claim rules of photos.services.processing, row by row (no worker needed).

The pipeline tests prove these on a real worker; here each rule is pinned
down on its own, including the ones a real run rarely reaches (a transient
engine error, a worker that died three times, a late writer).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from photos.models import Photo, ProcessingStatus
from photos.services import processing
from tests.pipeline.conftest import ai_settings_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(upload_photo) -> Photo:
    ai_settings_set(auto_process_on_upload=False)
    return upload_photo()


def claim(photo: Photo) -> processing.Claim | None:
    return processing.item_claim(model=Photo, item_id=photo.pk)


def test_it_claims_a_pending_item_once(photo):
    first = claim(photo)
    assert first is not None and first.attempt == 1
    assert claim(photo) is None
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.PROCESSING
    assert photo.lease_expires_at > timezone.now()


def test_it_takes_back_an_item_whose_lease_expired(photo):
    old = claim(photo)
    Photo.objects.filter(pk=photo.pk).update(lease_expires_at=timezone.now() - timedelta(1))
    new = claim(photo)
    assert new is not None and new.attempt == 2
    # The old holder's late result is refused: the newer claim owns the row.
    assert not processing.item_fail(old, "late")
    assert processing.item_fail(new, "current")


def test_it_fails_an_item_that_killed_its_worker_too_often(photo, settings):
    settings.AI_MAX_WORKER_DEATHS = 3
    Photo.objects.filter(pk=photo.pk).update(attempts=3)
    assert claim(photo) is None
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.FAILED
    assert photo.processing_error == "worker died 3 times processing this item"


def test_it_retries_a_transient_error_then_fails(photo, monkeypatch):
    from ai_engine.errors import BackendUnavailable

    def busy(item, ai_settings, **_language):
        raise BackendUnavailable("endpoint answered 503")

    monkeypatch.setattr(processing, "item_analyze", busy)
    with pytest.raises(processing.RetryLater):
        processing.item_process(kind="photo", item_id=photo.pk, final_try=False)
    photo.refresh_from_db()
    # Handed back, and the attempt with it: no worker died.
    assert (photo.processing_status, photo.attempts) == (ProcessingStatus.PENDING, 0)
    assert "503" in photo.processing_error

    outcome = processing.item_process(kind="photo", item_id=photo.pk, final_try=True)
    assert outcome == processing.Outcome.FAILED
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.FAILED
    assert "503" in photo.processing_error


def test_it_reaps_expired_leases_and_queues_them(photo, django_capture_on_commit_callbacks):
    claim(photo)
    Photo.objects.filter(pk=photo.pk).update(lease_expires_at=timezone.now() - timedelta(1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert processing.expired_leases_reap() == 1
        assert processing.expired_leases_reap() == 0  # idempotent
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.PENDING
    assert photo.attempts == 1  # the death stays counted
    assert len(callbacks) == 1  # one enqueue, for the first run's one item


def test_it_sweeps_only_old_auto_process_items_once_per_period(
    photo, settings, django_capture_on_commit_callbacks
):
    settings.AI_SWEEP_AFTER = 60
    Photo.objects.filter(pk=photo.pk).update(auto_process=True)
    assert processing.stale_pending_enqueue() == 0  # too recent
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks():
        assert processing.stale_pending_enqueue() == 1
        assert processing.stale_pending_enqueue() == 0  # marked for 60 s


def test_it_sweeps_batch_items_still_unclaimed_after_their_queued_mark(
    photo, settings, django_capture_on_commit_callbacks
):
    # Auto-process off: the item waits for the nightly batch, and the sweep leaves it...
    settings.AI_SWEEP_AFTER = 60
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=timezone.now() - timedelta(hours=1))
    assert processing.stale_pending_enqueue() == 0
    # ...until a batch queued it and nobody claimed it in time (Redis lost the message):
    # then it is sent again, once per period.
    ai_settings_set(scheduled_processing_enabled=True)
    with django_capture_on_commit_callbacks() as callbacks:
        assert processing.pending_batch_enqueue(kind="photo") == 1
    assert len(callbacks) == 1
    assert processing.stale_pending_enqueue() == 0  # still within the batch's mark
    Photo.objects.filter(pk=photo.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert processing.stale_pending_enqueue() == 1
        assert processing.stale_pending_enqueue() == 0  # marked for 60 s
    assert len(callbacks) == 1


def test_it_takes_over_at_once_from_a_dead_process_on_this_host(photo):
    import socket
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    Photo.objects.filter(pk=photo.pk).update(
        processing_status=ProcessingStatus.PROCESSING,
        attempts=1,
        lease_expires_at=timezone.now() + timedelta(minutes=1),
        lease_holder=f"{socket.gethostname()}:{dead.pid}:1",
    )

    taken = claim(photo)

    assert taken is not None and taken.attempt == 2  # the death is counted


@pytest.mark.parametrize("host", ["this", "another"])
def test_it_leaves_a_live_holder_or_another_hosts_holder_alone(photo, host):
    import os
    import socket

    name = socket.gethostname() if host == "this" else "elsewhere"
    Photo.objects.filter(pk=photo.pk).update(
        processing_status=ProcessingStatus.PROCESSING,
        attempts=1,
        lease_expires_at=timezone.now() + timedelta(minutes=1),
        # "another" host: even a pid that is not running here proves nothing.
        lease_holder=f"{name}:{os.getppid() if host == 'this' else 999_999}:1",
    )

    assert claim(photo) is None


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_items_lease_short_but_alive(photo, settings):
    import time

    from photos.services.leases import LeaseHeartbeat

    settings.AI_LEASE_SECONDS = 60
    settings.AI_LEASE_RENEW_INTERVAL = 0.1
    held = claim(photo)
    Photo.objects.filter(pk=photo.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=1))

    with LeaseHeartbeat(held.held()):
        time.sleep(0.5)

    photo.refresh_from_db()
    left = (photo.lease_expires_at - timezone.now()).total_seconds()
    assert 55 < left <= 60


@pytest.mark.parametrize("source", ["ai", "person"])
def test_a_failure_clears_an_earlier_successs_results_but_not_a_persons_edits(
    photo, monkeypatch, source
):
    from ai_engine.errors import UnreadableMedia
    from photos.models import TagSource
    from photos.services.item_edits import item_tag_add
    from photos.services.processing import ai_tags_replace

    Photo.objects.filter(pk=photo.pk).update(
        ai_description="A cat on a sofa.",
        description_source=source,
        processed_at=timezone.now(),
        ai_analysis={"tags": ["cat"]},
    )
    ai_tags_replace(item_id=photo.pk, tags=[processing_tag("cat")], removed=())
    item_tag_add(item=Photo.objects.get(pk=photo.pk), name="mine")

    def unreadable(item, ai_settings, **_language):
        raise UnreadableMedia("The file is truncated.")

    monkeypatch.setattr(processing, "item_analyze", unreadable)
    assert processing.item_process(kind="photo", item_id=photo.pk) == processing.Outcome.FAILED

    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.FAILED
    assert photo.processed_at is None
    assert photo.ai_analysis == {}
    kept = "A cat on a sofa." if source == TagSource.PERSON else ""
    assert photo.ai_description == kept
    assert list(photo.tags.values_list("name", flat=True)) == ["mine"]


def processing_tag(name: str):
    from ai_engine.types import ScoredTag

    return ScoredTag(name=name, score=0.9, source="classifier")


def test_retagging_creates_new_tags_keeps_a_persons_and_skips_removed_ones(photo):
    from photos.models import ItemTag, Tag, TagSource
    from photos.services.item_edits import item_tag_add
    from photos.services.processing import ai_tags_replace

    ai_tags_replace(
        item_id=photo.pk, tags=[processing_tag("cat"), processing_tag("sofa")], removed=()
    )
    item_tag_add(item=Photo.objects.get(pk=photo.pk), name="Dog")
    Tag.objects.create(name="indoor")  # a tag that exists, never on this item

    # A new name, an existing one, the person's own, a removed one (any case), a repeat.
    tags = ["cat", "window", "indoor", "dog", "Sofa", "window"]
    ai_tags_replace(item_id=photo.pk, tags=[processing_tag(n) for n in tags], removed=["sofa"])

    on_item = dict(ItemTag.objects.filter(item=photo).values_list("tag__name", "source"))
    assert on_item == {
        "cat": TagSource.AI,
        "window": TagSource.AI,
        "indoor": TagSource.AI,
        "dog": TagSource.PERSON,
    }
    assert Tag.objects.filter(name="window").count() == 1
    assert ItemTag.objects.get(item=photo, tag__name="window").score == 0.9
