"""Each user's language: the setting on /account/, and search in the language words were written in.

The engine's answers are fixed here (tests/search/conftest.py); the worker runs
the real engine in every language in test_worker_languages.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from photos.models import ItemTag
from photos.selectors.languages import user_language
from photos.selectors.search import items_search
from photos.services.item_edits import item_tag_remove
from photos.services.languages import user_language_set
from tests.search.conftest import analysis, process_with

pytestmark = pytest.mark.django_db

DOGS_DE = analysis("Zwei Hunde auf einer Wiese.", {"Hund": 0.9, "Tier": 0.8, "Wiese": 0.5})
DOGS_EN = analysis("Two dogs on a meadow.", {"dog": 0.9, "animal": 0.8, "meadow": 0.5})


def found(user, query: str) -> list[int]:
    return [item.pk for item in items_search(user=user, query=query)]


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [("de-at", "de"), ("fr", "fr"), ("es-mx", "es"), ("en-us", "en"), ("pt-br", "en")],
)
def test_a_user_who_never_chose_writes_in_the_sites_language(
    settings, owner, client_for, language_code, expected
):
    settings.LANGUAGE_CODE = language_code

    assert user_language(owner.pk) == expected
    page = client_for(owner).get(reverse("account")).content.decode()
    assert f'<option value="{expected}" selected>' in page


def test_a_user_sets_their_language_on_the_account_page(owner, stranger, client_for):
    client = client_for(owner)

    response = client.post(reverse("account-language"), {"language": "fr"}, follow=True)

    assert user_language(owner.pk) == "fr"
    assert user_language(stranger.pk) == "en"  # the site's (LANGUAGE_CODE en-us), unchanged
    page = response.content.decode()
    assert "written in Français" in page
    assert '<option value="fr" selected>' in page

    refused = client.post(reverse("account-language"), {"language": "xx"}, follow=True)
    assert "Choose one of the languages listed" in refused.content.decode()
    assert user_language(owner.pk) == "fr"


def test_search_finds_words_in_the_language_they_were_written_in(
    owner, stranger, album, make_item, monkeypatch
):
    from photos.models import Album

    user_language_set(user_id=owner.pk, language="de")
    german = make_item(album, original_filename="IMG_0001.jpg")
    process_with(monkeypatch, german, DOGS_DE)
    english_album = Album.objects.create(owner=stranger, title="Walks")
    english = make_item(english_album, original_filename="IMG_0002.jpg")
    process_with(monkeypatch, english, DOGS_EN)
    german.refresh_from_db()
    english.refresh_from_db()

    assert (german.ai_language, english.ai_language) == ("de", "en")
    # German stemming: "Hunde" and "Hund" are one word; an English index has "hund" and "hunde".
    assert found(owner, "Hund") == [german.pk]
    assert found(owner, "Hunde") == [german.pk]
    assert found(owner, "Wiesen") == [german.pk]
    assert found(stranger, "dogs") == [english.pk]
    assert found(stranger, "meadows") == [english.pk]
    assert found(stranger, "Hunde") == []  # nobody else's words


def test_a_tag_removed_in_one_language_stays_removed_in_the_next(
    owner, album, make_item, monkeypatch
):
    item = make_item(album)
    process_with(monkeypatch, item, DOGS_EN)
    item_tag_remove(item=item, name="dog")

    user_language_set(user_id=owner.pk, language="de")
    process_with(monkeypatch, item, DOGS_DE)

    names = set(ItemTag.objects.filter(item=item).values_list("tag__name", flat=True))
    assert names == {"Tier", "Wiese"}  # no "Hund": the person removed the dog


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_old_site_wide_language(make_user):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("photos", "0010_people")], [("photos", "0011_user_language")]
    ada, bob = make_user("ada"), make_user("bob")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        old.get_model("photos", "AISettings").objects.create(pk=1, language="de-DE")
        album = old.get_model("photos", "Album").objects.create(owner_id=ada.pk, title="Old")
        common = {"album": album, "uploader_id": ada.pk, "content_type": "x", "size_bytes": 1}
        items = old.get_model("photos", "MediaItem").objects
        done = items.create(
            kind="photo", processing_status="completed", checksum_sha256="1", **common
        )
        waiting = items.create(kind="photo", checksum_sha256="2", **common)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)  # the rest of the suite: the latest schema
        executor.migrate(executor.loader.graph.leaf_nodes())

    # What was written in German is known to be; both users go on getting German.
    from photos.models import MediaItem

    assert MediaItem.objects.get(pk=done.pk).ai_language == "de"
    assert MediaItem.objects.get(pk=waiting.pk).ai_language == ""
    assert (user_language(ada.pk), user_language(bob.pk)) == ("de", "de")
