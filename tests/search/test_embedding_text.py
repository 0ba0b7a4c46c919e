"""What an item's meaning-search embedding is computed from, read in one query."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from photos.models import Album, ItemTag, Tag, TagSource
from photos.services.vectors import item_embedding_text


def test_the_text_is_description_tags_in_name_order_and_place(make_item, owner):
    album = Album.objects.create(owner=owner, title="Trip")
    item = make_item(
        album,
        ai_description=" Zwei Hunde am Strand. ",
        ai_analysis={"place": {"city": "Kiel", "admin": "Schleswig-Holstein"}, "text": "x"},
    )
    for name, source in [
        ("strand", TagSource.AI),
        ("Hund", TagSource.PERSON),
        ("meer", TagSource.AI),
    ]:
        ItemTag.objects.create(item=item, tag=Tag.objects.create(name=name), source=source)

    with CaptureQueriesContext(connection) as queries:
        text = item_embedding_text(item_id=item.pk)

    assert text == "Zwei Hunde am Strand.. Hund, meer, strand. Kiel, Schleswig-Holstein"
    assert len(queries.captured_queries) == 1


def test_an_item_without_tags_or_place_is_its_description_and_no_item_is_none(make_item, owner):
    album = Album.objects.create(owner=owner, title="Trip")
    bare = make_item(album, ai_description="A cat.", ai_analysis={})
    nothing = make_item(album, ai_analysis={"place": None})

    assert item_embedding_text(item_id=bare.pk) == "A cat."
    assert item_embedding_text(item_id=nothing.pk) == ""
    assert item_embedding_text(item_id=nothing.pk + 1000) is None
