"""Photo Album's AI engine: descriptions and tags for photos and videos.

No Django imports, and importing this package is cheap: torch, onnxruntime and the
models are imported only when the registry first loads them (the web process never
does). Entry points: analyze(), analyze_video(), get_registry().
"""

from __future__ import annotations

import os

from .errors import BackendUnavailable, EngineError, ModelUnavailable, UnreadableMedia
from .language import LANGUAGES
from .pipeline import analyze
from .registry import Registry, get_registry
from .settings import Context, EngineSettings
from .types import Analysis, ModelReport, Place, ScoredTag
from .video import analyze_video
from .warmup import warm_up

# Before anything can import onnxruntime (see registry.disable_onnx_telemetry).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__all__ = [
    "Analysis",
    "BackendUnavailable",
    "Context",
    "EngineError",
    "EngineSettings",
    "LANGUAGES",
    "ModelReport",
    "ModelUnavailable",
    "Place",
    "Registry",
    "ScoredTag",
    "UnreadableMedia",
    "analyze",
    "analyze_video",
    "get_registry",
    "warm_up",
]
