"""Settings handed in by the caller; plain values so that the Django app can build them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .media import MAX_PIXELS

if TYPE_CHECKING:
    from .registry import Registry
    from .vocabulary import Vocabulary

BACKENDS = ("offline", "transformers", "openai")


@dataclass(frozen=True)
class EngineSettings:
    backend: str = "offline"
    model_dir: str | None = None
    endpoint_url: str | None = None
    model_name: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never in a repr, log or report
    max_tags: int = 10
    min_confidence: float = 0.2
    language: str = "en"
    timeout_s: float = 60.0
    # Additions beyond the interface, all with safe defaults.
    threads: int | None = None  # CPU threads per model runtime; None: 1 (see registry)
    max_pixels: int = MAX_PIXELS  # larger images are refused as decompression bombs
    max_retries: int = 3  # remote backends: attempts after the first on 429/5xx
    device: str | None = None  # transformers backend: "cuda", "cpu" or None for automatic
    # Transformers backend: the concepts to tag with (None: vocabulary/default.yaml). Not
    # part of registry_key: an edited vocabulary reuses the loaded models (see hf_backend).
    vocabulary: Vocabulary | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"Unknown AI backend {self.backend!r}; choose one of {BACKENDS}")

    def registry_key(self) -> tuple[object, ...]:
        """What identifies one set of loaded models (the API key is not part of it)."""
        return (self.backend, self.model_dir, self.endpoint_url, self.model_name, self.threads)


@dataclass
class Context:
    settings: EngineSettings = field(default_factory=EngineSettings)
    filename: str | None = None  # only used in messages
    registry: Registry | None = None  # None: the process-wide registry
