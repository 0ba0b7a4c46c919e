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

import json
import re

from django.db import connection

from ai_engine.language import LANGUAGES
from photos.languages import search_config, site_language
from photos.models import Album, MediaItem
from photos.selectors.search import uses_full_text


def words_of(text: str) -> str:
    """Split names like "IMG_0042.jpg" into words; the parser keeps "chelsea.jpg" as one token."""
    return re.sub(r"[\W_]+", " ", text).strip()


# Hand-written: the ORM's version of this statement cost ~20 ms of Python a processed item
# (compiling eight SearchVectors, each with its own CASE). The config is worked out once,
# from the row's own `ai_language`; the pieces and their order are the ORM version's, so
# the vectors are byte-identical (tests/search/test_search_index_sql.py).
ITEM_VECTOR_SQL = """
UPDATE photos_mediaitem AS item SET search_vector = (
    SELECT setweight(to_tsvector(config, coalesce(tags.names, '')), 'A')
        || setweight(to_tsvector(config, coalesce(people.names, '')), 'A')
        || setweight(to_tsvector(config, coalesce(item.ai_description, '')), 'B')
        || setweight(to_tsvector(config, coalesce(item.ai_analysis ->> 'text', '')), 'C')
        || setweight(to_tsvector(config, coalesce(item.ai_analysis #>> '{place,city}', '')), 'C')
        || setweight(to_tsvector(config, coalesce(item.ai_analysis #>> '{place,admin}', '')), 'C')
        || setweight(to_tsvector(config, coalesce(
               (SELECT title FROM photos_album WHERE id = item.album_id), '')), 'D')
        || setweight(to_tsvector(config, %(file_words)s), 'D')
    FROM
        (SELECT coalesce(%(configs)s::jsonb ->> item.ai_language, %(site_config)s)::regconfig
            AS config) AS language,
        (SELECT string_agg(tag.name, ' ' ORDER BY tag.name) AS names
            FROM photos_itemtag AS item_tag JOIN photos_tag AS tag ON tag.id = item_tag.tag_id
            WHERE item_tag.item_id = item.id) AS tags,
        -- The names the owner gave the people in it: their own words, searchable by them.
        (SELECT string_agg(DISTINCT person.name, ' ') AS names
            FROM photos_face AS face JOIN photos_person AS person ON person.id = face.person_id
            WHERE face.item_id = item.id AND person.name <> '') AS people
)
WHERE item.id = %(item_id)s
"""


def item_search_index_update(item: MediaItem) -> None:
    """Rewrite the item's search vector in one UPDATE from its current rows.

    The UPDATE reads everything itself (the row's fields and language, its tags,
    its people's names and its album's title), so a concurrent write is never
    overwritten with stale text, and processing pays one round trip for it.
    Only the file name comes from `item`: it never changes.
    """
    if not uses_full_text():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            ITEM_VECTOR_SQL,
            {
                "item_id": item.pk,
                "file_words": words_of(item.original_filename),
                "configs": written_language_configs(),
                "site_config": search_config(site_language()),
            },
        )


def written_language_configs() -> str:
    """{language code: text-search configuration} as JSON, for the UPDATE to look the row's
    `ai_language` up in; an item not yet written (or failed) is indexed in the site's language."""
    return json.dumps({code: search_config(code) for code in LANGUAGES})


def album_search_index_update(album: Album) -> None:
    """After an album's title changes: its items' vectors hold the old title."""
    for item in album.items.defer("embedding", "image_embedding"):
        item_search_index_update(item)
