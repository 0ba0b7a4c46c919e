from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from photos.models import Album, MediaItem, Photo, ProcessingStatus

# pytest-playwright's sync API runs an asyncio event loop in the test thread;
# Django then refuses ORM calls made by the test itself ("async unsafe"). Nothing
# here is really async, so for the browser tests the check is a false alarm.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Serve static files without the manifest `collectstatic` would write in production."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2 costs ~0.5 s a user on these machines; the hash's strength isn't under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db) -> Callable:
    def make(username: str, *, is_staff: bool = False):
        return get_user_model().objects.create_user(
            username=username, password=PASSWORD, is_staff=is_staff
        )

    return make


@pytest.fixture
def owner(make_user):
    return make_user("ada")


@pytest.fixture
def stranger(make_user):
    return make_user("mallory")


@pytest.fixture
def staff(make_user):
    return make_user("admin", is_staff=True)


@pytest.fixture
def album(owner) -> Album:
    return Album.objects.create(owner=owner, title="Holidays")


@pytest.fixture
def client_for() -> Callable[..., Client]:
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def make_item(album) -> Callable[..., MediaItem]:
    """A row without a real file, for tests that only count or read states."""
    counter = iter(range(1, 10_000))

    def make(
        status: str = ProcessingStatus.PENDING,
        *,
        model: type[MediaItem] = Photo,
        uploaded_ago=None,
        **fields,
    ) -> MediaItem:
        n = next(counter)
        uploaded_at = timezone.now() - uploaded_ago if uploaded_ago else timezone.now()
        return model.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            original_filename=f"item-{n}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            processing_status=status,
            uploaded_at=uploaded_at,
            **fields,
        )

    return make


# --- a real worker (the pipeline's helpers: one way to start one) -------------------------


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ops-worker")


@pytest.fixture(scope="module")
def worker_media(worker_dir):
    media = worker_dir / "media"
    media.mkdir()
    return media


@pytest.fixture(scope="module")
def ops_worker(django_db_setup, worker_dir, worker_media):
    """A `celery worker` subprocess on the test database and the module's MEDIA_ROOT."""
    from tests.pipeline.conftest import redis_flush, worker_start

    redis_flush()
    process = worker_start(worker_media, worker_dir, concurrency=1)
    yield process
    process.stop()


@pytest.fixture
def shared_media(worker_media, settings):
    """Use in worker tests: the test writes media where the worker reads it."""
    settings.MEDIA_ROOT = worker_media
    return worker_media


# --- headless Chromium (a copy of tests/web's small fixture: the two suites stay apart) ----

CHROMIUM = "/usr/bin/chromium"
# Quiet and off the network: it may only reach the live server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, not a browser downloaded by `playwright install`."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }
