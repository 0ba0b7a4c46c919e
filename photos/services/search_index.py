"""The word index: each item's `search_vector`, rewritten whenever its words change.

Written by processing, upload, a person's edit and an album's rename; read by
photos.selectors.search. PostgreSQL only: SQLite (the zero-set-up run) has no
full-text search and searches with icontains instead.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchVector
from django.db.models import TextField, Value
from django.db.models.fields.json import KeyTextTransform

from photos.models import Album, MediaItem, Person
from photos.selectors.search import SEARCH_CONFIG, uses_full_text


def words_of(text: str) -> str:
    """Split names like "IMG_0042.jpg" into words; the parser keeps "chelsea.jpg" as one token."""
    return re.sub(r"[\W_]+", " ", text).strip()


def item_search_index_update(item: MediaItem) -> None:
    """Rewrite the item's search vector in one UPDATE from its current row.

    Tags and the album title live in other tables, so they are read here and
    passed in as a value; the row's own fields are read by the UPDATE itself,
    so a concurrent write to them is never overwritten with stale text.
    """
    if not uses_full_text():
        return
    tag_names = " ".join(item.tags.order_by("name").values_list("name", flat=True))
    # The names the owner gave the people in it: their own words, searchable by them.
    people = Person.objects.filter(faces__item_id=item.pk).exclude(name="").distinct()
    tag_names += " " + " ".join(people.values_list("name", flat=True))
    album_title = (
        MediaItem.objects.filter(pk=item.pk).values_list("album__title", flat=True).first()
    )
    extra = f"{album_title or ''} {words_of(item.original_filename)}"

    def vector(expression, weight: str) -> SearchVector:
        return SearchVector(expression, config=SEARCH_CONFIG, weight=weight)

    MediaItem.objects.filter(pk=item.pk).update(
        search_vector=(
            vector(Value(tag_names, output_field=TextField()), "A")
            + vector("ai_description", "B")
            + vector(KeyTextTransform("text", "ai_analysis"), "C")
            + vector(KeyTextTransform("city", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(KeyTextTransform("admin", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(Value(extra, output_field=TextField()), "D")
        )
    )


def album_search_index_update(album: Album) -> None:
    """After an album's title changes: its items' vectors hold the old title."""
    for item in album.items.defer("embedding"):
        item_search_index_update(item)
