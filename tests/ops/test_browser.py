"""The operations pages in headless Chromium, with a real worker behind them."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import Page, expect

from photos.models import Photo, ProcessingStatus, Video
from photos.selectors.ops import status_counts
from photos.services.ai_settings import ai_settings_get
from photos.services.processing import item_enqueue
from photos.services.schedule import schedule_sync
from photos.services.uploads import photo_create
from tests.conftest import PASSWORD
from tests.pipeline.conftest import ai_settings_set
from tests.samples import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def _media(shared_media):
    return shared_media


@pytest.fixture(autouse=True)
def harness_urls(settings):
    settings.ROOT_URLCONF = "tests.ops.urls_live"


@pytest.fixture(autouse=True)
def _defaults():
    ai_settings_set(auto_process_on_upload=False, backend="offline", processing_timeout=120)


def log_in(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def upload(album, name: str) -> Photo:
    data = jpeg_bytes(name)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=f"{name}.jpg",
        size=len(data),
    )  # fmt: skip


def test_an_admin_changes_settings_and_sees_them_persist(page: Page, live_server, staff):
    log_in(page, live_server, staff)
    page.goto(f"{live_server.url}/ai-settings/")

    page.fill("input[name=batch_size]", "0")
    page.click("#save-settings")
    expect(page.locator("[data-error-for=batch_size]")).to_contain_text("greater than or equal")

    page.fill("input[name=batch_size]", "123")
    page.fill("input[name=schedule_hour]", "4")
    page.fill("input[name=schedule_minute]", "45")
    page.uncheck("input[name=auto_process_on_upload]")
    page.click("#save-settings")
    expect(page.locator(".messages")).to_contain_text("AI settings saved.")

    page.reload()
    expect(page.locator("input[name=batch_size]")).to_have_value("123")
    expect(page.locator("input[name=schedule_hour]")).to_have_value("4")
    expect(page.locator("input[name=auto_process_on_upload]")).not_to_be_checked()
    row = ai_settings_get()
    assert (row.batch_size, row.schedule_hour, row.schedule_minute) == (123, 4, 45)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ai-settings.png"), full_page=True)


def test_the_sample_test_shows_description_tags_and_time(
    page: Page, live_server, staff, module_worker
):
    log_in(page, live_server, staff)
    page.goto(f"{live_server.url}/ai-settings/")

    page.click("#sample-test-button")

    expect(page.locator("#sample-test-description")).to_contain_text("cat", timeout=60_000)
    expect(page.locator("#sample-test-tags li").first).to_be_visible()
    expect(page.locator("#sample-test-time")).to_contain_text("s on the worker")


def test_a_photo_turns_completed_on_the_page_without_a_reload(
    page: Page, live_server, album, owner, module_worker
):
    photo = upload(album, "chelsea")  # auto-process is off: it waits, pending
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/test-live-status/{photo.pk}/")
    expect(page.locator("#processing-status")).to_have_text("Pending")
    page.evaluate("window.notReloaded = true")

    item_enqueue(kind="photo", item_id=photo.pk, ai_settings=ai_settings_get())

    expect(page.locator("#processing-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator("[data-live=description] p")).to_contain_text("cat")
    expect(page.locator("[data-live=tags] li").first).to_be_visible()
    expect(page.locator("#retry-button")).to_have_text("Reprocess")
    assert page.evaluate("window.notReloaded") is True


def test_a_failed_item_shows_its_error_and_retry_completes_it(
    page: Page, live_server, album, owner, module_worker
):
    photo = upload(album, "coffee")
    name = photo.original.name
    original = default_storage.open(name).read()
    default_storage.delete(name)
    item_enqueue(kind="photo", item_id=photo.pk, ai_settings=ai_settings_get())
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/test-live-status/{photo.pk}/")
    page.wait_for_timeout(100)
    # The item may still be on its way when the page opens: the page follows it.
    expect(page.locator("#processing-status")).to_have_text("Failed", timeout=60_000)
    expect(page.locator("#processing-error")).to_contain_text("missing")
    default_storage.save(name, ContentFile(original))
    page.evaluate("window.notReloaded = true")

    page.click("#retry-button")

    expect(page.locator("#processing-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator("#processing-error")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True


def test_the_dashboard_counts_match_the_database(
    page: Page, live_server, staff, album, make_item, module_worker
):
    make_item(ProcessingStatus.PENDING)
    make_item(ProcessingStatus.PENDING, model=Video, uploaded_ago=timedelta(days=9))
    make_item(ProcessingStatus.FAILED, processing_error="The original file is missing.")
    make_item(
        ProcessingStatus.COMPLETED,
        processing_started_at=timezone.now() - timedelta(seconds=40),
        processed_at=timezone.now() - timedelta(seconds=35),
        uploaded_ago=timedelta(minutes=2),
    )
    schedule_sync(ai_settings_get())
    log_in(page, live_server, staff)

    page.goto(f"{live_server.url}/ops/")
    expect(page.locator("#workers-table")).to_contain_text(module_worker.hostname)
    counts = status_counts()
    for kind, by_status in counts.items():
        for status, n in by_status.items():
            expect(page.locator(f"#count-{kind}-{status}")).to_have_text(str(n))
    expect(page.locator("#failure-rows")).to_contain_text("The original file is missing.")
    expect(page.locator("#verdict")).to_contain_text("Needs attention")
    # Times as people read them ("1 Dec 2026, 02:00 (in 16 h)"), not ISO strings.
    expect(page.locator("#nightly-rows")).to_contain_text("02:00")
    expect(page.locator("#nightly-rows")).not_to_contain_text("T02:00:00")

    # It updates itself: a new failure appears without a reload.
    page.evaluate("window.notReloaded = true")
    make_item(ProcessingStatus.FAILED, processing_error="Timed out after 10 s")
    expect(page.locator("#count-photos-failed")).to_have_text("2", timeout=15_000)
    expect(page.locator("#check-failed-photos")).to_have_text("2")
    expect(page.locator("#failure-rows")).to_contain_text("Timed out after 10 s")
    assert page.evaluate("window.notReloaded") is True
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(ARTIFACTS / "ops-dashboard.png"), full_page=True)


def test_staff_preview_a_concept_then_save_it(
    page: Page, live_server, staff, album, module_worker, worker_media
):
    """Search the vocabulary, change a threshold, see which photos it would tag (the
    worker scores them with a tiny random SigLIP), save: no inline script, no CSP error."""
    pytest.importorskip("transformers")
    from photos.models import Concept
    from tests.engine.tiny_models import save_tiny_siglip

    models = worker_media / "vocabulary-models"
    if not (models / "image-text").exists():
        save_tiny_siglip(models / "image-text")
    ai_settings_set(model_dir=str(models))
    photos = [upload(album, "chelsea"), upload(album, "coffee")]
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        processing_status=ProcessingStatus.COMPLETED, ai_analysis={"faces": 0}
    )
    concept = Concept.objects.create(name="tabby", synonyms=["tiger cat"], threshold=0.99)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, staff)

    page.goto(f"{live_server.url}/ai-settings/vocabulary/?q=tiger")
    page.click("#concepts a:text('tabby')")
    page.fill("input[name=threshold]", "0.01")  # random weights score every text near 0.5
    page.click("#concept-preview-button")

    summary = page.locator("#concept-preview-summary")
    expect(summary).to_contain_text("would tag 2 of 2", timeout=90_000)
    expect(page.locator("#concept-preview-photos li[data-tagged=true] img")).to_have_count(2)
    concept.refresh_from_db()
    assert concept.threshold == 0.99  # a preview saves nothing

    page.click("#concept-save")
    expect(page.locator(".messages")).to_contain_text("“tabby” saved")
    concept.refresh_from_db()
    assert concept.threshold == 0.01
    assert not [e for e in errors if "Content Security Policy" in e]
