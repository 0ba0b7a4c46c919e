"""Reads of the tag vocabulary: the page's list, one concept, and the engine's Vocabulary."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.db.models import CharField, Count, F, Func, Max, Q, QuerySet, Value

from photos.models import Concept, MediaItem, MediaKind, ProcessingStatus

if TYPE_CHECKING:
    from ai_engine.vocabulary import Concept as EngineConcept
    from ai_engine.vocabulary import Vocabulary

_lock = threading.Lock()
_cached: tuple[tuple[object, ...], Vocabulary] | None = None


def concepts_search(*, query: str = "", category: str = "") -> QuerySet[Concept]:
    """Concepts whose name or a synonym contains `query`, in `category` if given."""
    concepts = Concept.objects.all()
    if query:
        words = query.strip().lower()
        synonyms = Func(
            F("synonyms"), Value(" "), function="array_to_string", output_field=CharField()
        )
        concepts = concepts.annotate(synonym_text=synonyms).filter(
            Q(name__icontains=words) | Q(synonym_text__icontains=words)
        )
    if category:
        concepts = concepts.filter(category=category)
    return concepts


def concept_categories() -> list[str]:
    return list(
        Concept.objects.exclude(category="")
        .values_list("category", flat=True)
        .distinct()
        .order_by("category")
    )


def concept_get(*, concept_id: int) -> Concept | None:
    return Concept.objects.filter(pk=concept_id).first()


def vocabulary_version_key() -> tuple[object, ...]:
    """Changes with every write: each sets updated_at, and a delete changes the count."""
    found = Concept.objects.aggregate(count=Count("id"), last=Max("updated_at"))
    return (found["count"], found["last"])


def vocabulary_current() -> Vocabulary:
    """The enabled concepts as the engine takes them; read again only after an edit (one
    aggregate query per item otherwise), so an edit reaches the next item a worker takes."""
    global _cached
    key = vocabulary_version_key()
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    vocabulary = vocabulary_from(Concept.objects.filter(enabled=True))
    with _lock:
        _cached = (key, vocabulary)
    return vocabulary


def vocabulary_from(concepts: QuerySet[Concept] | list[Concept]) -> Vocabulary:
    from ai_engine.vocabulary import Vocabulary

    return Vocabulary(tuple(concept_for_engine(c) for c in concepts))


def concept_for_engine(concept: Concept) -> EngineConcept:
    from ai_engine.vocabulary import Concept as EngineConcept

    return EngineConcept(
        name=concept.name,
        threshold=concept.threshold,
        synonyms=tuple(concept.synonyms),
        parents=tuple(concept.parents),
        needs=concept.needs,
        category=concept.category,
    )


def preview_sample(*, size: int) -> list[MediaItem]:
    """The photos a concept preview scores: the most recently processed ones."""
    return list(
        MediaItem.objects.filter(kind=MediaKind.PHOTO, processing_status=ProcessingStatus.COMPLETED)
        .defer("embedding", "search_vector")
        .order_by("-processed_at", "-id")[:size]
    )
