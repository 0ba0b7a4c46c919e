"""Load everything an item needs once, when a worker process starts, not on its first item."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .registry import Registry
    from .settings import EngineSettings

logger = logging.getLogger("ai_engine")


def warm_up(settings: EngineSettings, registry: Registry | None = None) -> float:
    """Load the configured backend, the geocoder and the embedding model, then run a
    local backend's whole pipeline once on a small sample image (first inferences pay
    one-time costs: kernel selection, memory pools). Returns the seconds it took; an
    engine error (missing weights, unreachable endpoint) is logged, not raised: the
    items themselves report it.
    """
    from .errors import EngineError
    from .language import catalogue
    from .pipeline import analyze
    from .registry import _sample_image, get_registry
    from .settings import Context

    registry = registry or get_registry()
    started = time.perf_counter()
    catalogue(settings.language)
    try:
        registry.backend(settings)
        registry.geocoder()
        if settings.backend != "openai":  # a remote model needs no warming, and costs a call
            analyze(_sample_image(), context=Context(settings=settings, registry=registry))
    except EngineError as exc:  # e.g. an unreachable endpoint: items will retry and say why
        logger.warning("AI warm-up incomplete: %s", exc)
    try:
        from .embeddings import load

        load()
    except (ImportError, OSError) as exc:
        logger.warning("Embedding model unavailable (%s); meaning search is off", exc)
    seconds = time.perf_counter() - started
    logger.info("AI models loaded and warmed up in %.1f s (%s backend)", seconds, settings.backend)
    return seconds
