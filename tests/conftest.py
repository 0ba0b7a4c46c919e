from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from photos.models import Album

# pytest-playwright's sync API runs an asyncio event loop in the test thread;
# Django then sees "a running event loop" and refuses ORM calls made by the
# test itself (creating users, reading rows). Nothing here is truly async, so
# the check is only a false alarm for the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"


def pytest_configure(config: pytest.Config) -> None:
    # The suite proves behaviour on the real PostgreSQL, never on SQLite.
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("Run the suite with scripts/test (it points DATABASE_URL at PostgreSQL).", 2)


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Each test writes its media into its own folder, so none leaks into another."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def plain_static_storage(settings, tmp_path):
    """Serve static files without the manifest `collectstatic` would write in production."""
    settings.STATIC_ROOT = tmp_path / "static"  # exists, so WhiteNoise doesn't warn
    settings.STATIC_ROOT.mkdir(exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def plain_http(settings):
    # Test clients and the live server speak plain HTTP: no HTTPS redirect, and
    # cookies must not be Secure-only (whatever HTTPS the environment asks for).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


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


# --- a real worker for a test module (tests/pipeline has the helpers that start one) ------


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("worker")


@pytest.fixture(scope="module")
def worker_media(worker_dir) -> Path:
    media = worker_dir / "media"
    media.mkdir()
    return media


@pytest.fixture(scope="module")
def module_worker(django_db_setup, worker_dir, worker_media):
    """A `celery worker` subprocess on the test database and the module's worker_media."""
    from tests.pipeline.conftest import redis_flush, worker_start

    redis_flush()
    process = worker_start(worker_media, worker_dir, concurrency=1)
    yield process
    process.stop()


@pytest.fixture
def shared_media(worker_media, settings) -> Path:
    """Use in worker tests: the test writes media where the worker reads it."""
    settings.MEDIA_ROOT = worker_media
    return worker_media


# --- headless Chromium ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
# Keep Chromium quiet and off the network: it may only reach the live server
# (pytest-django's live_server answers on localhost).
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
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


def wait_for_js(page, expression: str, *, timeout: float = 30_000) -> None:
    """Poll a JavaScript expression until it is truthy.

    page.wait_for_function compiles its predicate with eval() in the page, which
    the site's Content-Security-Policy forbids; page.evaluate is not subject to it.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:g}s waiting for {expression}")
        time.sleep(0.1)
