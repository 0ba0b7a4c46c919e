"""A user's language: the setting, and rewriting their library in it.

Changing the language applies to what the AI writes from then on. Items
already written in another language are rewritten only when the owner asks
(/account/ offers it, with their number): a large library is hours of worker
time, which a person should choose to spend. A reprocessed item's description
and AI tags come back in the owner's language; what a person wrote, added or
removed stays (photos.services.processing).
"""

from __future__ import annotations

from ai_engine.language import LANGUAGES
from photos.models import UserPreferences
from photos.selectors.languages import items_written_in_other_languages, user_language
from photos.services import retry


def user_language_set(*, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"No catalogue for language {language!r}")
    UserPreferences.objects.update_or_create(user_id=user_id, defaults={"language": language})


def library_rewrite(*, user_id: int) -> int:
    """Queue the user's items written in another language for reprocessing; how many."""
    others = items_written_in_other_languages(user_id=user_id, language=user_language(user_id))
    queued = retry.items_reprocess(ids=list(others.values_list("pk", flat=True)))
    return sum(queued.values())
