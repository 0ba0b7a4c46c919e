"""Which language the AI writes a user's words in, and what is written in another (reads only)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from ai_engine.language import LANGUAGES
from photos.languages import site_language
from photos.models import MediaItem, ProcessingStatus, UserPreferences


def user_language(user_id: int) -> str:
    """The user's chosen language; the site's (LANGUAGE_CODE) until they choose."""
    chosen = UserPreferences.objects.filter(user_id=user_id).values_list("language", flat=True)
    return known_language(chosen.first())


def album_owner_language_subquery() -> Subquery:
    """The language its album's owner chose, as a column of an item query (the worker reads
    it with the item); None until they choose: pass it through known_language."""
    chosen = UserPreferences.objects.filter(user__albums=OuterRef("album_id"))
    return Subquery(chosen.values("language")[:1])


def known_language(language: str | None) -> str:
    # A row naming a catalogue since removed reads as the site's language.
    return language if language in LANGUAGES else site_language()


def items_written_in_other_languages(*, user_id: int, language: str) -> QuerySet[MediaItem]:
    """The user's processed items whose AI text is in another language than `language`."""
    return MediaItem.objects.filter(
        album__owner_id=user_id, processing_status=ProcessingStatus.COMPLETED
    ).exclude(ai_language=language)
