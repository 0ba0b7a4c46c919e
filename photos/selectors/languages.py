"""Which language the AI writes a user's words in, and what is written in another (reads only)."""

from __future__ import annotations

from django.db.models import QuerySet

from ai_engine.language import LANGUAGES
from photos.languages import site_language
from photos.models import MediaItem, ProcessingStatus, UserPreferences


def user_language(user_id: int) -> str:
    """The user's chosen language; the site's (LANGUAGE_CODE) until they choose."""
    chosen = UserPreferences.objects.filter(user_id=user_id).values_list("language", flat=True)
    return known(chosen.first())


def album_owner_language(album_id: int) -> str:
    """The language of the owner of this album's items, in one query (the worker's per item)."""
    chosen = UserPreferences.objects.filter(user__albums=album_id)
    return known(chosen.values_list("language", flat=True).first())


def known(language: str | None) -> str:
    # A row naming a catalogue since removed reads as the site's language.
    return language if language in LANGUAGES else site_language()


def items_written_in_other_languages(*, user_id: int, language: str) -> QuerySet[MediaItem]:
    """The user's processed items whose AI text is in another language than `language`."""
    return MediaItem.objects.filter(
        album__owner_id=user_id, processing_status=ProcessingStatus.COMPLETED
    ).exclude(ai_language=language)
