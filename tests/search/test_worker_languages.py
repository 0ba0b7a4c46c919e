"""End to end in each language: a real `celery worker` writes in the owner's language,
search finds the words in it, and a rewrite in a new language keeps a person's edits."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from ai_engine import LANGUAGES
from ai_engine.language import catalogue
from photos.models import Album, MediaItem, Photo, ProcessingStatus
from photos.selectors.search import items_search
from photos.services.item_edits import item_description_set, item_tag_add, item_tag_remove
from photos.services.languages import user_language_set
from photos.services.uploads import photo_create
from tests.samples import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)  # the worker must see committed rows


@pytest.fixture(autouse=True)
def media_root(shared_media):
    return shared_media  # the worker reads what the test writes


@pytest.fixture(autouse=True)
def auto_process():
    from tests.pipeline.conftest import ai_settings_set

    ai_settings_set(auto_process_on_upload=True, backend="offline")


def upload(album: Album, sample: str, *, quality: int = 90) -> Photo:
    data = jpeg_bytes(sample, quality=quality)  # a quality per upload: never a duplicate
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename="IMG.jpg", size=len(data)
    )


def wait_written(ids: list[int], language: str) -> None:
    from tests.pipeline.conftest import wait_until

    def written() -> bool:
        rows = MediaItem.objects.filter(pk__in=ids).values_list("processing_status", "ai_language")
        return set(rows) == {(ProcessingStatus.COMPLETED, language)}

    wait_until(written, timeout=180, what=f"items written in {language}")


def tag_names(item: MediaItem) -> set[str]:
    return set(item.tags.values_list("name", flat=True))


def found(user, query: str) -> list[int]:
    return [item.pk for item in items_search(user=user, query=query)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_worker_writes_in_the_owners_language(module_worker, make_user, language):
    owner = make_user(f"owner-{language}")
    user_language_set(user_id=owner.pk, language=language)
    album = Album.objects.create(owner=owner, title="Home")

    cat = upload(album, "chelsea", quality=90 - LANGUAGES.index(language))
    wait_written([cat.pk], language)

    cat.refresh_from_db()
    words = catalogue(language)  # "cat": "Katze", "chat", "gato"
    assert words.nouns["cat"].one.lower() in cat.ai_description.lower()
    assert {words.tag_name("cat"), words.tag_name("animal")} <= tag_names(cat)
    # Found by the plural ("Katzen", "chats", "gatos"), stemmed in the language it is in.
    assert found(owner, words.nouns["cat"].many) == [cat.pk]


def test_a_rewrite_in_the_new_language_keeps_a_persons_edits(module_worker, album, client_for):
    owner = album.owner  # English: the site's language until they choose
    cat = upload(album, "chelsea", quality=85)
    coffee = upload(album, "coffee")
    wait_written([cat.pk, coffee.pk], "en")
    item_description_set(item=cat, text="Chelsea asleep on the sofa")
    item_tag_add(item=cat, name="chelsea")
    item_tag_remove(item=cat, name="pet")
    client = client_for(owner)

    client.post(reverse("account-language"), {"language": "de"})
    offer = client.get(reverse("account")).content.decode()
    assert '<span id="written-elsewhere">2</span> of your items are described in another' in offer
    assert "Rewrite 2 items in Deutsch" in offer
    client.post(reverse("account-library-rewrite"))
    wait_written([cat.pk, coffee.pk], "de")

    cat.refresh_from_db()
    coffee.refresh_from_db()
    assert "Tasse" in coffee.ai_description  # "Eine Nahaufnahme von einer Tasse Espresso."
    assert {"Kaffee", "Tasse"} <= tag_names(coffee)
    # The person's description and tag stay; the pet they removed stays away as "Haustier".
    assert cat.ai_description == "Chelsea asleep on the sofa"
    assert {"chelsea", "Katze"} <= tag_names(cat)
    assert "Haustier" not in tag_names(cat) and "pet" not in tag_names(cat)
    assert found(owner, "Katzen") == [cat.pk]
    assert found(owner, "Tassen") == [coffee.pk]
    assert "described in another language" not in client.get(reverse("account")).content.decode()
