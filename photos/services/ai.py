"""The one door to the AI engine: engine settings from AISettings, the original from storage.

`ai_engine` (and torch behind it) is imported inside the functions, never at
module level, so the web process that enqueues work never loads a model.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings as django_settings

from photos.kinds import kind_of
from photos.models import AISettings, MediaItem

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from ai_engine import Analysis, EngineSettings
    from ai_engine.types import ModelReport

logger = logging.getLogger(__name__)


def engine_settings(ai_settings: AISettings) -> EngineSettings:
    from ai_engine import EngineSettings

    return EngineSettings(
        backend=ai_settings.backend,
        model_dir=ai_settings.model_dir or None,
        endpoint_url=ai_settings.endpoint_url or None,
        model_name=ai_settings.model_name or None,
        api_key=ai_settings.api_key or None,
        max_tags=ai_settings.max_tags,
        min_confidence=ai_settings.min_confidence,
        language=ai_settings.language,
        timeout_s=float(ai_settings.processing_timeout),
        # The upload's cap: what was accepted is analysed (ai_engine.media.check_pixels).
        max_pixels=django_settings.UPLOAD_MAX_PIXELS,
    )


def item_analyze(item: MediaItem, ai_settings: AISettings) -> Analysis:
    """Run the engine on the item's stored original.

    Raises FileNotFoundError when the original is gone, and the engine's
    errors (UnreadableMedia, BackendUnavailable, ModelUnavailable) as they come.
    """
    import ai_engine
    from ai_engine import Context, get_registry

    settings = engine_settings(ai_settings)
    # The log reads in the checklist's order: loading, then generating. Workers load
    # at process start (photos.worker_init); the engine logs "Loading AI models..."
    # itself when it really loads here (e.g. after a backend change).
    registry = get_registry()
    if registry.is_loaded(settings):
        logger.info("Loading AI models... (loaded when this worker process started)")
    registry.backend(settings)
    embedding_model_load()
    context = Context(settings=settings, filename=item.original_filename)
    logger.info("Generating description...")
    # Through the storage API, never a path: media may live on S3-compatible storage.
    analyze = getattr(ai_engine, kind_of(item).analyze)  # analyze or analyze_video
    with item.original.storage.open(item.original.name or "", "rb") as fileobj:
        return analyze(fileobj, context=context)


def models_report(ai_settings: AISettings, sample_image: Image.Image | None) -> list[ModelReport]:
    from ai_engine import get_registry

    return get_registry().report(engine_settings(ai_settings), sample_image=sample_image)


def embedding_model_load() -> None:
    """With the engine's models, before the result is saved: the embedding written right
    after the commit then takes ~5 ms, not a first load (~1 s) while the task still runs."""
    from ai_engine.embeddings import load

    try:
        load()
    except (ImportError, OSError) as exc:  # an item is still analysed, found by words only
        logger.warning("Embedding model unavailable (%s); meaning search is off", exc)


def texts_embed(texts: list[str]) -> np.ndarray:
    """Unit float32 sentence embeddings, one row per text (workers only: this loads torch)."""
    from ai_engine.embeddings import embed_texts

    return embed_texts(texts)
