"""Writes to the tag vocabulary, and the preview of one concept on recent photos.

Every write sets `updated_at`, which (with the row count) is the vocabulary's version
(selectors.vocabulary): workers read the concepts again when it changes, so an edit
tags the next item processed, with no restart.

The preview runs on the interactive worker (the web process never loads a model): it
scores the concept's text against the most recently processed photos and says which
the concept would tag. Each photo's image embedding is kept in the worker process, so
trying another threshold or synonym costs only the text side. Where items store their
image-text embedding (a `MediaItem.image_embedding` column, planned for image search),
`_image_features` could read it instead of running the vision tower, and the preview
could then score the whole library rather than a sample.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse

from photos.models import AIBackend, Concept, MediaItem
from photos.services import queue
from photos.services.ai_settings import ai_settings_get

if TYPE_CHECKING:
    from ai_engine.hf_backend import ImageTextTagger

PREVIEW_SAMPLE = 24  # photos scored per preview: ~13 s of the vision tower on one CPU core
PREVIEW_TIMEOUT_S = 300
PREVIEW_FIELDS = ("name", "synonyms", "threshold", "needs")
KEPT_FEATURES = 512  # image embeddings kept per worker process (~3 kB each)

_features: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_features_lock = threading.Lock()


def concept_save(*, concept: Concept | None, values: dict[str, Any]) -> Concept:
    """Create (concept None) or update a concept from the page's validated values."""
    row = concept or Concept()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()  # updated_at (auto_now) moves the vocabulary's version: see the module doc
    return row


def concept_delete(*, concept: Concept) -> None:
    with transaction.atomic():
        concept.delete()


# --- preview -----------------------------------------------------------------------------


def preview_enqueue(values: dict[str, Any]) -> str:
    """Send the preview to the interactive worker; raises queue.BROKER_ERRORS."""
    concept = {name: values[name] for name in PREVIEW_FIELDS}
    return queue.vocabulary_preview_send(concept, time_limit_s=PREVIEW_TIMEOUT_S).id


def concept_preview(concept: dict[str, Any]) -> dict[str, Any]:
    """On a worker: the recent photos, each with the concept's score and whether it would
    be tagged (its threshold, and the face or text the concept needs, from the photo's
    last analysis). Best scores first."""
    from ai_engine import EngineError, get_registry
    from ai_engine.vocabulary import Concept as EngineConcept
    from ai_engine.vocabulary import Seen, Vocabulary, vocabulary_tags
    from photos.selectors.vocabulary import preview_sample
    from photos.services.ai import engine_settings

    started = time.perf_counter()
    row = ai_settings_get()
    row.backend = AIBackend.TRANSFORMERS  # the vocabulary's backend, chosen or not (unsaved)
    name = str(concept["name"]).strip().lower()
    one = EngineConcept(
        name=name,
        threshold=float(concept["threshold"]),
        synonyms=tuple(concept.get("synonyms") or ()),
        needs=str(concept.get("needs") or ""),
    )
    vocabulary = Vocabulary((one,))
    try:
        tagger = get_registry().backend(engine_settings(row)).image_text  # type: ignore[attr-defined]
        if not tagger.sigmoid:
            return {"ok": False, "error": "Previews need a SigLIP model (scores per concept)."}
        photos = []
        for item in preview_sample(size=PREVIEW_SAMPLE):
            features = _image_features(tagger, item)
            if features is None:
                continue
            score = tagger.concept_scores(features, vocabulary)[0][name]
            analysis = item.ai_analysis or {}
            seen = Seen(faces=int(analysis.get("faces") or 0), text=bool(analysis.get("text")))
            photos.append(
                _preview_row(item, score, bool(vocabulary_tags({name: score}, vocabulary, seen)))
            )
    except (EngineError, OSError, ValueError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    photos.sort(key=lambda p: -p["score"])
    return {
        "ok": True,
        "name": name,
        "threshold": one.threshold,
        "photos": photos,
        "tagged": sum(p["tagged"] for p in photos),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _preview_row(item: MediaItem, score: float, tagged: bool) -> dict[str, Any]:
    return {
        "id": item.pk,
        "filename": item.original_filename,
        "score": round(score, 4),
        "tagged": tagged,
        "url": item.get_absolute_url(),
        "thumbnail_url": reverse("media", args=[item.kind, item.pk, "thumbnail"]),
    }


def _image_features(tagger: ImageTextTagger, item: MediaItem) -> Any:
    """The item's image embedding, kept per worker process; None when unreadable."""
    from ai_engine import EngineError
    from ai_engine.media import prepare

    key = (tagger.weights_path(), item.pk, item.processed_at)
    with _features_lock:
        if key in _features:
            _features.move_to_end(key)
            return _features[key]
    # The thumbnail when there is one: the model looks at 224 px, and it decodes faster.
    field = item.thumbnail if item.thumbnail else item.original
    try:
        with field.storage.open(field.name or "", "rb") as fileobj:
            features = tagger.image_features(prepare(fileobj).image)
    except (EngineError, OSError):
        return None
    with _features_lock:
        _features[key] = features
        while len(_features) > KEPT_FEATURES:
            _features.popitem(last=False)
    return features
