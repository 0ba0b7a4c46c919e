"""A person's tags and description: editing, permissions, and surviving reprocessing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from photos.models import Album, ItemTag, TagSource
from photos.selectors.search import items_search
from tests.search.conftest import CAT, analysis, process_with

pytestmark = pytest.mark.django_db

CAT_AGAIN = analysis("A cat on a rug, seen again.", {"cat": 0.93, "pet": 0.85, "rug": 0.4})


def tags_of(item) -> dict[str, tuple[str, float | None]]:
    return {row.tag.name: (row.source, row.score) for row in item.item_tags.select_related("tag")}


def url(name: str, item) -> str:
    return reverse(name, args=[item.kind, item.pk])


@pytest.fixture
def cat(album, processed):
    return processed(album, CAT, original_filename="chelsea.jpg")


def test_it_adds_a_person_tag_and_makes_it_searchable(client_for, owner, cat):
    response = client_for(owner).post(url("item-tag-add", cat), {"name": " Chelsea  the Cat "})
    assert response.status_code == 302
    assert tags_of(cat)["chelsea the cat"] == (TagSource.PERSON, None)
    assert [item.pk for item in items_search(user=owner, query="chelsea")] == [cat.pk]


def test_it_rewrites_the_description_as_the_persons(client_for, owner, cat):
    client_for(owner).post(url("item-description", cat), {"description": "Our Chelsea, asleep."})
    cat.refresh_from_db()
    assert cat.ai_description == "Our Chelsea, asleep."
    assert cat.description_source == TagSource.PERSON
    assert [item.pk for item in items_search(user=owner, query="asleep")] == [cat.pk]


def test_a_persons_description_survives_reprocessing(monkeypatch, client_for, owner, cat):
    client_for(owner).post(url("item-description", cat), {"description": "Our Chelsea."})
    process_with(monkeypatch, cat, CAT_AGAIN)
    cat.refresh_from_db()
    assert cat.processing_status == "completed"
    assert cat.ai_description == "Our Chelsea."
    assert cat.description_source == TagSource.PERSON


def test_an_ai_description_is_replaced_by_reprocessing(monkeypatch, cat):
    process_with(monkeypatch, cat, CAT_AGAIN)
    cat.refresh_from_db()
    assert cat.ai_description == CAT_AGAIN.description


def test_a_removed_ai_tag_stays_removed_and_person_tags_stay(monkeypatch, client_for, owner, cat):
    client = client_for(owner)
    client.post(url("item-tag-remove", cat), {"name": "pet"})
    client.post(url("item-tag-add", cat), {"name": "chelsea"})
    assert "pet" not in tags_of(cat)
    process_with(monkeypatch, cat, CAT_AGAIN)
    tags = tags_of(cat)
    assert "pet" not in tags
    assert tags["chelsea"] == (TagSource.PERSON, None)
    assert tags["rug"] == (TagSource.AI, 0.4)  # the AI's new tags still arrive
    assert "orange" not in tags  # and its old ones go
    assert list(items_search(user=owner, query="pet")) == []


def test_adding_a_removed_tag_back_lets_it_stay(monkeypatch, client_for, owner, cat):
    client = client_for(owner)
    client.post(url("item-tag-remove", cat), {"name": "pet"})
    client.post(url("item-tag-add", cat), {"name": "pet"})
    process_with(monkeypatch, cat, CAT_AGAIN)
    assert tags_of(cat)["pet"] == (TagSource.PERSON, None)


def test_the_item_page_shows_sources_scores_links_and_edit_forms(client_for, owner, cat):
    client = client_for(owner)
    client.post(url("item-tag-add", cat), {"name": "chelsea"})
    html = client.get(cat.get_absolute_url()).content.decode()
    assert 'href="/tags/cat/"' in html and "AI 0.91" in html
    assert 'class="tag tag-person" data-tag="chelsea"' in html
    assert url("item-tag-add", cat) in html and url("item-description", cat) in html
    assert "Written by the AI" in html


@pytest.mark.parametrize("name", ["item-tag-add", "item-tag-remove", "item-description"])
def test_editing_another_users_item_is_404(client_for, stranger, cat, name):
    response = client_for(stranger).post(url(name, cat), {"name": "cat", "description": "x"})
    assert response.status_code == 404
    cat.refresh_from_db()
    assert cat.ai_description == CAT.description
    assert ItemTag.objects.filter(item=cat, tag__name="cat").exists()


def test_staff_may_edit_any_item(client_for, staff, cat):
    client_for(staff).post(url("item-tag-add", cat), {"name": "reviewed"})
    assert "reviewed" in tags_of(cat)


def test_an_empty_tag_is_refused(client_for, owner, cat):
    before = tags_of(cat)
    response = client_for(owner).post(url("item-tag-add", cat), {"name": "   "}, follow=True)
    assert "Type a tag." in response.content.decode()
    assert tags_of(cat) == before


def test_the_tag_page_lists_the_users_items_with_the_tag(client_for, owner, stranger, cat):
    response = client_for(owner).get(reverse("tag-detail", args=["cat"]))
    assert response.status_code == 200
    assert [item.pk for item in response.context["page"].object_list] == [cat.pk]
    assert client_for(stranger).get(reverse("tag-detail", args=["cat"])).status_code == 404


def test_the_tag_list_counts_only_the_users_items(client_for, owner, stranger, cat, processed):
    processed(Album.objects.create(owner=stranger, title="Theirs"), CAT)
    listed = client_for(owner).get(reverse("tag-list")).context["tags"]
    tags = {tag.name: tag.total for tag in listed}
    assert tags["cat"] == 1 and tags["pet"] == 1
    their = client_for(stranger).get(reverse("tag-list")).content.decode()
    assert 'href="/tags/cat/"' in their
