"""The one door to the AI engine: engine settings from AISettings (and the owner's
language), the original from storage.

`ai_engine` (and torch behind it) is imported inside the functions, never at
module level, so the web process that enqueues work never loads a model.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings

from photos.kinds import kind_of
from photos.languages import site_language
from photos.models import AIBackend, AISettings, MediaItem
from photos.selectors.vocabulary import vocabulary_current
from photos.services.ai_settings import ai_settings_get
from photos.services.secrets import api_key_for_endpoint

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from ai_engine import Analysis, EngineSettings
    from ai_engine.types import ModelReport

logger = logging.getLogger(__name__)


def ai_model_dir(ai_settings: AISettings) -> str:
    """The transformers models' folder: the AI settings' choice, else AI_MODEL_DIR.

    The one rule for both `fetch_ai_models` (which fills it) and the engine (which loads it).
    """
    return ai_settings.model_dir or django_settings.AI_MODEL_DIR


def engine_settings(ai_settings: AISettings, *, language: str | None = None) -> EngineSettings:
    """`language`: the owner's, whom the text is for (photos.selectors.languages); by
    default the site's."""
    from ai_engine import EngineSettings

    return EngineSettings(
        backend=ai_settings.backend,
        # Only the transformers backend reads it; the others keep the key they always had.
        model_dir=(
            ai_model_dir(ai_settings)
            if ai_settings.backend == AIBackend.TRANSFORMERS
            else ai_settings.model_dir or None
        ),
        endpoint_url=ai_settings.endpoint_url or None,
        model_name=ai_settings.model_name or None,
        # Never to another endpoint than the one the key was saved with.
        api_key=api_key_for_endpoint(
            token=ai_settings.api_key,
            bound_endpoint=ai_settings.api_key_endpoint,
            endpoint_url=ai_settings.endpoint_url,
        )
        or None,
        max_tags=ai_settings.max_tags,
        min_confidence=ai_settings.min_confidence,
        language=language or site_language(),
        timeout_s=float(ai_settings.processing_timeout),
        # The upload's cap: what was accepted is analysed (ai_engine.media.check_pixels).
        max_pixels=django_settings.UPLOAD_MAX_PIXELS,
        # Read per item (cheaply: see vocabulary_current), so an edit needs no restart.
        vocabulary=(
            vocabulary_current() if ai_settings.backend == AIBackend.TRANSFORMERS else None
        ),
    )


def item_analyze(item: MediaItem, ai_settings: AISettings, *, language: str) -> Analysis:
    """Run the engine on the item's stored original, writing in `language`.

    Raises FileNotFoundError when the original is gone, and the engine's
    errors (UnreadableMedia, BackendUnavailable, ModelUnavailable) as they come.
    """
    import ai_engine
    from ai_engine import Context, get_registry

    settings = engine_settings(ai_settings, language=language)
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
    """Every model a worker loads: the backend's, the geocoder, and the search embeddings."""
    from ai_engine import get_registry

    reports = get_registry().report(engine_settings(ai_settings), sample_image=sample_image)
    return [*reports, embedding_model_report()]


def embedding_model_report() -> ModelReport:
    """The sentence-embedding model of meaning search: present, loads, embeds one sentence."""
    import time

    from ai_engine import embeddings
    from ai_engine.types import ModelReport

    try:
        path = embeddings.model_path()
    except (ImportError, OSError) as exc:
        return ModelReport(name="embeddings", path="", present=False, error=str(exc))
    report = ModelReport(name="embeddings", path=str(path), present=path.exists())
    try:
        started = time.perf_counter()
        embeddings.load()
        report.load_s = time.perf_counter() - started
        started = time.perf_counter()
        vectors = embeddings.embed_texts(["a cat asleep on a sofa"])
        report.sample_s = time.perf_counter() - started
        report.loads = vectors.shape == (1, embeddings.DIMENSIONS)
    except Exception as exc:  # noqa: BLE001 - a report lists every failure, it never raises
        report.error = f"{type(exc).__name__}: {exc}"
    return report


def embedding_model_load() -> None:
    """With the engine's models, before the result is saved: the embedding written right
    after the commit then takes ~5 ms, not a first load (~1 s) while the task still runs."""
    from ai_engine.embeddings import load

    try:
        load()
    except (ImportError, OSError) as exc:  # an item is still analysed, found by words only
        logger.warning("Embedding model unavailable (%s); meaning search is off", exc)


def query_embed(text: str) -> dict[str, Any]:
    """A search query's vectors (workers only): {"text": [...], "image": None or {"vector",
    "model", "min_cosine"}}; the image-text model is the AI settings' (transformers backend)."""
    from dataclasses import asdict

    from ai_engine.image_space import embed_query

    image = None
    settings = engine_settings(ai_settings_get())
    try:
        found = embed_query(text, settings)
        image = asdict(found) if found else None
    except Exception:  # noqa: BLE001 - the text space still answers
        logger.exception("The image-text model could not embed the query; text space only")
    return {"text": texts_embed([text])[0].tolist(), "image": image}


def image_model_current() -> str:
    """The id of the image-text model the AI settings point at ("" none): read from its
    folder, nothing loaded."""
    from ai_engine.image_space import current_model

    return current_model(engine_settings(ai_settings_get()))


def item_image_embed(item: MediaItem) -> tuple[bytes, str] | None:
    """The item's vector in the current image-text model's space, as stored, and the model's
    id; None without a model. A photo is decoded as for analysis; a video is the mean of the
    frames its analysis looks at."""
    import numpy as np

    from ai_engine.image_space import embed_images
    from ai_engine.media import prepare
    from ai_engine.video import read_frames

    settings = engine_settings(ai_settings_get())
    # Read as its kind's analysis reads it (analyze_video: frames), through the storage API.
    with item.original.storage.open(item.original.name or "", "rb") as fileobj:
        if kind_of(item).analyze == "analyze_video":
            images = read_frames(fileobj).images
        else:
            images = [prepare(fileobj, max_pixels=settings.max_pixels).image]
    placed = embed_images(images, settings)
    if placed is None:
        return None
    vector, model = placed
    return np.asarray(vector, dtype=np.float32).tobytes(), model


def texts_embed(texts: list[str]) -> np.ndarray:
    """Unit float32 sentence embeddings, one row per text (workers only: this loads torch)."""
    from ai_engine.embeddings import embed_texts

    return embed_texts(texts)
