from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from photos.models import Album
from photos.services.uploads import item_create_from_upload
from tests.samples import jpeg_bytes, mp4_bytes

# pytest-playwright's sync API runs an asyncio event loop in the test thread;
# Django then sees "a running event loop" and refuses ORM calls made by the
# test itself (creating users, reading rows). Nothing here is truly async, so
# the check is only a false alarm for the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def plain_static_storage(settings, tmp_path):
    """Serve static files without the manifest `collectstatic` would write in production."""
    settings.STATIC_ROOT = tmp_path / "static"  # exists, so WhiteNoise doesn't warn
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
def owner_client(client_for, owner) -> Client:
    return client_for(owner)


def upload_url(album: Album) -> str:
    return reverse("album-upload", args=[album.pk])


def post_files(client: Client, album: Album, files: list[tuple[str, bytes]], *, json: bool = True):
    """POST files to the album's upload endpoint, as the page's script (JSON) or a plain form."""
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    headers = {"Accept": "application/json"} if json else {}
    return client.post(upload_url(album), {"files": uploads}, headers=headers)


def media_files(root: Path) -> list[Path]:
    """Every file under MEDIA_ROOT (none of the tests' uploads may be left behind)."""
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def store_item(album: Album, name: str, content: bytes):
    """Store an upload through the same service the endpoint calls."""
    upload = SimpleUploadedFile(name, content)
    return item_create_from_upload(
        album=album, uploader=album.owner, file=upload, filename=name, size=len(content)
    )


@pytest.fixture
def photo(album):
    return store_item(album, "chelsea.jpg", jpeg_bytes("chelsea"))


@pytest.fixture
def video(album):
    return store_item(album, "clip.mp4", mp4_bytes())


CHROMIUM = "/usr/bin/chromium"
# Keep Chromium quiet and off the network: it may only reach the live server.
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
