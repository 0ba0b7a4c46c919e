"""The hand-written search-vector UPDATE writes the very bytes the ORM version did."""

from __future__ import annotations

import pytest
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Case, OuterRef, Subquery, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from ai_engine.language import LANGUAGES
from photos.languages import search_config, site_language
from photos.models import Album, Face, ItemTag, MediaItem, Person, Tag, TagSource
from photos.services.search_index import item_search_index_update, words_of


def orm_search_index_update(item: MediaItem) -> None:
    """The ORM version this replaced (commit 2169565), kept as the reference."""
    tag_names = (
        ItemTag.objects.filter(item_id=OuterRef("pk"))
        .values("item_id")
        .annotate(names=StringAgg("tag__name", " ", order_by="tag__name"))
        .values("names")
    )
    person_names = (
        Person.objects.filter(faces__item_id=OuterRef("pk"))
        .exclude(name="")
        .values("owner_id")
        .annotate(names=StringAgg("name", " ", distinct=True))
        .values("names")
    )
    album_title = Album.objects.filter(pk=OuterRef("album_id")).values("title")
    config = Case(
        *[When(ai_language=code, then=Value(search_config(code))) for code in LANGUAGES],
        default=Value(search_config(site_language())),
        output_field=TextField(),
    )

    def vector(expression, weight: str) -> SearchVector:
        return SearchVector(expression, config=config, weight=weight)

    def text(expression) -> Coalesce:
        return Coalesce(expression, Value(""), output_field=TextField())

    MediaItem.objects.filter(pk=item.pk).update(
        search_vector=(
            vector(text(Subquery(tag_names)), "A")
            + vector(text(Subquery(person_names)), "A")
            + vector("ai_description", "B")
            + vector(KeyTextTransform("text", "ai_analysis"), "C")
            + vector(KeyTextTransform("city", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(KeyTextTransform("admin", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(text(Subquery(album_title)), "D")
            + vector(Value(words_of(item.original_filename), output_field=TextField()), "D")
        )
    )


def stored_vector(item: MediaItem) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvectorsend(search_vector) FROM photos_mediaitem WHERE id = %s", [item.pk]
        )
        return bytes(cursor.fetchone()[0])


RICH = {
    "ai_description": "Zwei Hunde laufen am Strand; the dogs' owners run, les chiens courent",
    "ai_analysis": {
        "text": "OPEN 24 HOURS Bäckerei Müller",
        "place": {"city": "Heidelberg", "admin": "Baden-Württemberg", "country_code": "DE"},
    },
}
TAGS = [
    ("Hunde", TagSource.AI),
    ("dog", TagSource.AI),
    ("perros", TagSource.PERSON),
    ("été", TagSource.AI),
]


@pytest.mark.parametrize("site", ["en", "de"])
@pytest.mark.parametrize("language", [*LANGUAGES, "", "xx"])
@pytest.mark.parametrize("rich", [True, False], ids=["words", "bare"])
def test_the_sql_update_writes_the_orm_versions_vector(
    make_item, owner, settings, site, language, rich
):
    settings.LANGUAGE_CODE = site
    album = Album.objects.create(owner=owner, title="Sommer am Meer: playas y montañas")
    fields = RICH if rich else {"ai_analysis": {"place": None}}
    item = make_item(
        album, original_filename="IMG_0042_Strand-día.jpg", ai_language=language, **fields
    )
    if rich:
        for name, source in TAGS:
            ItemTag.objects.create(item=item, tag=Tag.objects.create(name=name), source=source)
        people = [
            Person.objects.create(owner=owner, name=name) for name in ("Zoë", "Ada", "Ada", "")
        ]
        for n, person in enumerate(people):
            Face.objects.create(
                item=item,
                owner=owner,
                box=[0, 0, 1, 1],
                score=0.9 - n / 10,
                embedding=b"",
                person=person,
            )

    orm_search_index_update(item)
    expected = stored_vector(item)
    MediaItem.objects.filter(pk=item.pk).update(search_vector=None)
    item_search_index_update(item)

    assert stored_vector(item) == expected
    assert len(expected) > (100 if rich else 10)  # words were indexed, not an empty vector
