"""The languages the AI writes descriptions and tags in, and how search reads each.

The codes are the engine's message catalogues (ai_engine.LANGUAGES); each user
picks one on /account/ (photos.selectors.languages.user_language), and the site's
LANGUAGE_CODE is the default. An item's words are indexed with the PostgreSQL
text-search configuration of the language they were written in, so "Hunde"
finds a German "Hund" and "dogs" an English "dog".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.conf import settings

from ai_engine.language import LANGUAGES, catalogue, normalise

# PostgreSQL's built-in configurations; a language without one is indexed unstemmed.
TEXT_SEARCH_CONFIGS = {"en": "english", "de": "german", "fr": "french", "es": "spanish"}
UNSTEMMED = "simple"


def site_language() -> str:
    """The nearest language the engine writes to LANGUAGE_CODE ("de-at" -> "de"); else English."""
    return normalise(settings.LANGUAGE_CODE)


def language_choices() -> list[tuple[str, str]]:
    """(code, the language's own name), e.g. ("de", "Deutsch"), for forms."""
    return [(code, catalogue(code).name) for code in LANGUAGES]


def language_name(code: str) -> str:
    return catalogue(code).name


def search_config(language: str) -> str:
    """The text-search configuration for words written in `language` ("" = the site's)."""
    return TEXT_SEARCH_CONFIGS.get(language or site_language(), UNSTEMMED)


def search_configs() -> list[str]:
    """Every configuration an item may be indexed with, each once."""
    return list(dict.fromkeys(search_config(code) for code in LANGUAGES))


def languages_load() -> None:
    """Every catalogue (~45 ms each) and the tag index, at worker start: owners write in
    any of them, and the first item in each is then as quick as the next."""
    tag_keys_by_name()


def tag_names_in(language: str, names: Iterable[str]) -> set[str]:
    """`names` (lower-cased) with what each is called in `language`.

    A tag a person removed while it read "dog" stays removed when the AI writes
    German: "hund" joins the set. Names no catalogue knows stay as they are.
    """
    keys = tag_keys_by_name()
    target = catalogue(language)
    found = set()
    for name in names:
        lowered = name.lower()
        found.add(lowered)
        for key in keys.get(lowered, ()):
            found.add(target.tag_name(key).lower())
    return found


@functools.cache
def tag_keys_by_name() -> dict[str, frozenset[str]]:
    """{a tag's lower-cased name in any language: the catalogue keys it names}."""
    english = catalogue("en")
    keys = set(english.tags) | set(english.nouns)
    by_name: dict[str, set[str]] = {}
    for code in LANGUAGES:
        words = catalogue(code)
        for key in keys:
            by_name.setdefault(words.tag_name(key).lower(), set()).add(key)
    return {name: frozenset(found) for name, found in by_name.items()}
