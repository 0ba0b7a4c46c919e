"""A visitor's reach is exactly the shared album: every other URL in the URLconf is probed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from photos.models import MediaItem
from tests.samples import jpeg_bytes
from tests.share.conftest import share_url
from tests.web.conftest import store_item

pytestmark = pytest.mark.django_db

# Pages anyone may open that hold no album data.
PUBLIC = {"login", "admin:login"}
# The shared album's own pages (they take no item id): what the link is for.
SHARED_ALBUM = {"share-album", "share-slideshow", "share-download"}


def named_patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, object]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.pattern


def sample_url(name: str, pattern, values: dict[str, object]) -> str | None:
    """The URL with sample arguments, or None where no sample fits (admin's app-label regexes)."""
    groups = list(getattr(pattern, "converters", {}) or pattern.regex.groupindex)
    try:
        return reverse(name, kwargs={group: values.get(group, "x") for group in groups})
    except NoReverseMatch:
        return None


def probe(client, urls: list[tuple[str, str]]) -> list[str]:
    leaks = []
    for name, url in urls:
        for method in (client.get, client.post):
            response = method(url)
            status = response.status_code
            to_login = status == 302 and "login" in response["Location"].split("?")[0]
            if status in (404, 401, 405) or to_login or name in PUBLIC | SHARED_ALBUM:
                continue
            leaks.append(f"{method.__name__.upper()} {url} ({name}) -> {status}")
    return leaks


def test_a_visitor_reaches_nothing_but_the_shared_album(
    visitor, client_for, make_link, album, other_album
):
    shared = store_item(album, "shared.jpg", jpeg_bytes("chelsea"))
    created = make_link(allow_originals=True)
    assert visitor.get(share_url(created.token)).status_code == 200  # the visitor has the link
    other_item = MediaItem.objects.get(album=other_album)
    samples = {
        "album_id": other_album.pk,
        "item_id": other_item.pk,
        "link_id": created.link.pk,
        "kind": "photo",
        "variant": "original",
        "token": created.token,
        "name": "x",
        "task_id": "x",
        "object_id": str(other_album.pk),
        "app_label": "photos",
    }
    patterns = list(named_patterns(get_resolver()))
    urls = [(name, url) for name, p in patterns if (url := sample_url(name, p, samples))]
    assert len(urls) > 40  # the probe really walked the URLconf (admin included)
    assert probe(visitor, urls) == []

    # The share pages themselves, pointed at the other album's item, answer 404 too...
    for name in ("share-item", "share-media"):
        assert any(n == name for n, _ in urls)
    # ...and the visitor's own album and item answer (the probe is not blind).
    assert (
        visitor.get(share_url(created.token, "share-item", "photo", shared.pk)).status_code == 200
    )
    assert (
        visitor.get(
            share_url(created.token, "share-media", "photo", shared.pk, "original")
        ).status_code
        == 200
    )
    # With the visitor's album id in place of the other one, the owner's pages still refuse.
    samples.update(album_id=album.pk, item_id=shared.pk)
    own = [(name, url) for name, p in patterns if (url := sample_url(name, p, samples))]
    assert probe(visitor, [(n, u) for n, u in own if not n.startswith("share-")]) == []

    # The probe does flag a page that answers: the other album's owner sees theirs.
    mine = reverse("album-detail", args=[other_album.pk])
    assert probe(client_for(other_album.owner), [("album-detail", mine)])
