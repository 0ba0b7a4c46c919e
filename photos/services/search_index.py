"""The word index: each item's `search_vector`, rewritten whenever its words change.

Written by processing, upload, a person's edit and an album's rename; read by
photos.selectors.search. PostgreSQL only: SQLite (the zero-set-up run) has no
full-text search and searches with icontains instead.

An item's words are stemmed with the text-search configuration of the language
its AI text was written in (`ai_language`; photos.languages): a German item's
"Hunde" is indexed as "hund". A person's tags, names and description on it are
taken to be in that language too.
"""

from __future__ import annotations

import re

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db.models import Case, OuterRef, Subquery, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from ai_engine.language import LANGUAGES
from photos.languages import search_config, site_language
from photos.models import Album, ItemTag, MediaItem, Person
from photos.selectors.search import uses_full_text


def words_of(text: str) -> str:
    """Split names like "IMG_0042.jpg" into words; the parser keeps "chelsea.jpg" as one token."""
    return re.sub(r"[\W_]+", " ", text).strip()


def item_search_index_update(item: MediaItem) -> None:
    """Rewrite the item's search vector in one UPDATE from its current rows.

    The UPDATE reads everything itself (the row's fields, its tags and its
    album's title through subqueries), so a concurrent write is never
    overwritten with stale text, and processing pays one round trip for it.
    Only the file name comes from `item`: it never changes.
    """
    if not uses_full_text():
        return
    tag_names = (
        ItemTag.objects.filter(item_id=OuterRef("pk"))
        .values("item_id")
        .annotate(names=StringAgg("tag__name", " ", order_by="tag__name"))
        .values("names")
    )
    # The names the owner gave the people in it: their own words, searchable by them.
    person_names = (
        Person.objects.filter(faces__item_id=OuterRef("pk"))
        .exclude(name="")
        .values("owner_id")  # one owner per item: one row
        .annotate(names=StringAgg("name", " ", distinct=True))
        .values("names")
    )
    album_title = Album.objects.filter(pk=OuterRef("album_id")).values("title")
    config = written_language_config()

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


def written_language_config() -> Case:
    """The row's own `ai_language` as a configuration name, read by the UPDATE itself (as
    the words are); an item not yet written (or failed) is indexed in the site's language."""
    return Case(
        *[When(ai_language=code, then=Value(search_config(code))) for code in LANGUAGES],
        default=Value(search_config(site_language())),
        output_field=TextField(),
    )


def album_search_index_update(album: Album) -> None:
    """After an album's title changes: its items' vectors hold the old title."""
    for item in album.items.defer("embedding", "image_embedding"):
        item_search_index_update(item)
