"""What an item's meaning-search embedding is computed from, read in one query."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from photos.models import Album, ItemTag, Tag, TagSource
from photos.services.vectors import items_embedding_texts


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
        texts = items_embedding_texts([item.pk])

    assert texts[item.pk] == "Zwei Hunde am Strand.. Hund, meer, strand. Kiel, Schleswig-Holstein"
    assert len(queries.captured_queries) == 1


def test_several_items_in_one_read_and_a_missing_one_is_left_out(make_item, owner):
    album = Album.objects.create(owner=owner, title="Trip")
    bare = make_item(album, ai_description="A cat.", ai_analysis={})
    nothing = make_item(album, ai_analysis={"place": None})
    tagged = make_item(album, ai_description="A dog.", ai_analysis={})
    ItemTag.objects.create(item=tagged, tag=Tag.objects.create(name="dog"), source=TagSource.AI)

    with CaptureQueriesContext(connection) as queries:
        texts = items_embedding_texts([bare.pk, nothing.pk, tagged.pk, tagged.pk + 1000])

    assert texts == {bare.pk: "A cat.", nothing.pk: "", tagged.pk: "A dog.. dog"}
    assert len(queries.captured_queries) == 1
