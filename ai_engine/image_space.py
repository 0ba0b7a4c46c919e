"""Image space: photos and search queries embedded by the image-text model (SigLIP 2, CLIP).

A photo's vector is the image tower's output, computed while the transformers backend
tags it (one forward pass serves both); a query's is the text tower's, in the same
space, so "water" finds the lake the tags call "blue". Each vector is stored with the
model's id: vectors of another model, or another revision, never meet a query.

Only the transformers backend has an image-text model; without it (the offline default,
or no model fetched) there is no image space, and meaning search is MiniLM over the text.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from .hf_backend import ImageTextTagger
    from .registry import Registry
    from .settings import EngineSettings

# The relevance floor. SigLIP is trained with a sigmoid per (image, text) pair, so
# sigmoid(scale * cosine + bias) is the model's own probability that the text describes
# the image: the floor is that probability, and each model's scale and bias (read from
# its weights) turn it into a cosine. The bias is strongly negative (training starts it at
# -10, so an unrelated pair sits near sigmoid(-10) ~ 5e-5), while a query that names what
# the photo shows reaches several per cent or more. 1 % keeps those and drops "anything at
# all", which would otherwise return the least unlikely photos as if they were answers.
# Not tuned on real weights here (none can be downloaded); MIN_PROBABILITY is the knob.
MIN_PROBABILITY = 0.01
# CLIP has no calibrated bias (a softmax over a batch): a plain cosine floor, where
# OpenAI's ViT-B/32 puts unrelated pairs at ~0.10-0.18 and matching ones at ~0.25-0.35.
CLIP_MIN_COSINE = 0.2
# Queries are phrased like the captions these models were trained on.
QUERY_PROMPT = "a photo of {}"


@dataclass(frozen=True)
class QueryVector:
    vector: list[float]
    model: str  # the id image vectors must carry to compare with it
    min_cosine: float  # the relevance floor, in this model's cosine


def model_id(path: str) -> str:
    """What identifies the weights in `path`, without loading them (the web side and the sweep
    call it): the pinned repo@revision fetch_ai_models wrote, else a digest of the config,
    the weights' size and their first and last 64 kB ("" when there is no model)."""
    try:
        with open(os.path.join(path, ".pinned.json"), encoding="utf-8") as fh:
            pin = json.load(fh)
        if pin.get("repo") and pin.get("revision"):
            return f"{pin['repo']}@{pin['revision']}"
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    try:
        with open(os.path.join(path, "config.json"), "rb") as fh:
            digest.update(fh.read())
        weights = os.path.join(path, "model.safetensors")
        size = os.path.getsize(weights)
        digest.update(str(size).encode())
        with open(weights, "rb") as fh:
            digest.update(fh.read(65536))
            fh.seek(max(0, size - 65536))
            digest.update(fh.read())
    except OSError:
        return ""
    return f"local:{digest.hexdigest()[:20]}"


def current_model(settings: EngineSettings) -> str:
    """The image-text model's id under these settings; "" when there is none."""
    if settings.backend != "transformers" or not settings.model_dir:
        return ""
    from .hf_backend import IMAGE_TEXT_DIR

    path = os.path.join(settings.model_dir, IMAGE_TEXT_DIR)
    if not os.path.isfile(os.path.join(path, "config.json")):
        return ""
    return model_id(path)


def tagger(settings: EngineSettings, registry: Registry | None = None) -> ImageTextTagger | None:
    """The loaded image-text model of these settings' backend; None without one."""
    if not current_model(settings):
        return None
    from .registry import get_registry

    backend: Any = (registry or get_registry()).backend(settings)
    found: ImageTextTagger | None = getattr(backend, "image_text", None)
    return found


def min_cosine(model: Any, family: str) -> float:
    """The cosine at which the model's probability reaches MIN_PROBABILITY (see above)."""
    if not family.startswith("siglip"):
        return CLIP_MIN_COSINE
    scale = float(model.logit_scale.detach().exp())
    bias = float(model.logit_bias.detach())
    logit = math.log(MIN_PROBABILITY / (1 - MIN_PROBABILITY))
    return (logit - bias) / scale


def embed_query(
    text: str, settings: EngineSettings, registry: Registry | None = None
) -> QueryVector | None:
    """The query in image space (the interactive worker); None without an image-text model."""
    import torch

    found = tagger(settings, registry)
    if found is None:
        return None
    found.load()
    inputs = found.processor(
        text=[QUERY_PROMPT.format(text.strip())],
        return_tensors="pt",
        # SigLIP was trained on text padded to its full length; CLIP pads to the longest.
        padding="max_length" if found.sigmoid else True,
        truncation=True,
    )
    with found.lock, torch.inference_mode():
        features = found.model.get_text_features(**inputs.to(found.device))
        features = getattr(features, "pooler_output", features)
        features = features / features.norm(dim=-1, keepdim=True)
    return QueryVector(
        vector=features[0].float().cpu().tolist(),
        model=found.model_id,
        min_cosine=min_cosine(found.model, found.family),
    )


def embed_images(
    images: list[Image.Image], settings: EngineSettings, registry: Registry | None = None
) -> tuple[np.ndarray, str] | None:
    """One unit vector for these images (a photo, or a video's frames: their mean) and the
    model's id; None without an image-text model. For re-embedding after a model change."""
    found = tagger(settings, registry)
    if found is None or not images:
        return None
    vectors = [found.image_features(image)[0].float().cpu().tolist() for image in images]
    return mean_vector(vectors), found.model_id


def mean_vector(vectors: list[list[float]]) -> np.ndarray:
    """The unit mean of unit vectors: a video's frames as one point in image space."""
    import numpy as np

    mean: np.ndarray = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean
