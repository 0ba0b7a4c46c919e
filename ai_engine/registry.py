"""Models are loaded once per process, lazily, behind this registry."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Protocol

from .types import ModelReport

if TYPE_CHECKING:
    from PIL import Image

    from .component import Component
    from .describe import Facts
    from .places import Geocoder
    from .settings import EngineSettings
    from .types import Analysis

logger = logging.getLogger("ai_engine")


def disable_onnx_telemetry() -> None:
    # onnxruntime looks up a telemetry host every few seconds unless this is set before
    # it is imported; this machine (and many users') has no internet.
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def default_threads() -> int:
    # One thread per model runtime. Measured on a 2-core box: with 2 threads per
    # runtime a 12-MP photo took 1-2 s (torch and onnxruntime pools contend, and
    # onnxruntime's spinning workers steal the core torch needs); with 1 it took
    # ~0.5 s. Throughput comes from more worker processes, one per core.
    return 1


class Backend(Protocol):
    name: str

    def components(self) -> list[Component]: ...

    def load(self) -> None: ...

    def analyze_image(
        self,
        image: Image.Image,
        settings: EngineSettings,
        analysis: Analysis,
        facts: Facts,
        timings: dict[str, float],
    ) -> None:
        """Add tags, faces, text, flags and a description to `analysis`."""

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str: ...


def create_backend(settings: EngineSettings) -> Backend:
    threads = settings.threads or default_threads()
    if settings.backend == "offline":
        from .offline.backend import OfflineBackend

        return OfflineBackend(threads=threads)
    if settings.backend == "transformers":
        from .hf_backend import TransformersBackend

        return TransformersBackend(settings, threads=threads)
    from .openai_backend import OpenAIBackend

    return OpenAIBackend(settings)


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[tuple[object, ...], Backend] = {}
        self._geocoder: Geocoder | None = None

    def backend(self, settings: EngineSettings) -> Backend:
        key = settings.registry_key()
        found = self._backends.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._backends.get(key)
            if found is None:
                found = self._load(settings)
                self._backends[key] = found
        return found

    def _load(self, settings: EngineSettings) -> Backend:
        disable_onnx_telemetry()
        logger.info("Loading AI models...")
        started = time.perf_counter()
        backend = create_backend(settings)
        backend.load()
        logger.debug("%s backend loaded in %.2fs", backend.name, time.perf_counter() - started)
        return backend

    def geocoder(self) -> Geocoder:
        if self._geocoder is None:
            with self._lock:
                if self._geocoder is None:
                    from .places import Geocoder

                    geocoder = Geocoder()
                    geocoder.load()
                    self._geocoder = geocoder
        return self._geocoder

    def is_loaded(self, settings: EngineSettings) -> bool:
        return settings.registry_key() in self._backends

    def clear(self) -> None:
        """Forget loaded models (tests; a settings change in a long-lived process)."""
        with self._lock:
            self._backends.clear()
            self._geocoder = None

    def report(
        self, settings: EngineSettings, sample_image: Image.Image | None = None
    ) -> list[ModelReport]:
        """Per model of the configured backend: where it is, whether it loads and runs."""
        disable_onnx_telemetry()
        with self._lock:
            backend = self._backends.get(settings.registry_key())
        if backend is None:
            logger.info("Loading AI models...")
            backend = create_backend(settings)
        image = sample_image if sample_image is not None else _sample_image()
        reports = [_report_one(component, image) for component in backend.components()]
        if all(r.ok for r in reports):
            with self._lock:
                self._backends.setdefault(settings.registry_key(), backend)
        from .places import Geocoder

        geocoder = self._geocoder or Geocoder()
        reports.append(_report_one(geocoder, image))
        if reports[-1].ok and self._geocoder is None:
            self._geocoder = geocoder
        return reports


def _report_one(component: Component, image: Image.Image | None) -> ModelReport:
    try:
        path = component.weights_path()
    except Exception as exc:  # a report lists every failure, it never raises
        return ModelReport(name=component.name, path="", present=False, error=str(exc))
    # Which pinned revision is there, for models that fetch_ai_models downloads.
    pinned = getattr(component, "pinned", str)()
    report = ModelReport(
        name=component.name,
        path=f"{path} ({pinned})" if pinned else path,
        present=component.is_present(),
        device=component.device,
    )
    try:
        component.load()
        report.loads = True
        report.load_s = component.load_s
        report.device = component.device
        if image is not None:
            started = time.perf_counter()
            component.sample(image)
            report.sample_s = time.perf_counter() - started
    except Exception as exc:  # a report lists every failure, it never raises
        report.error = f"{type(exc).__name__}: {exc}"
    return report


def _sample_image() -> Image.Image:
    """A small synthetic picture: enough to run every model once without any files."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (70, 130, 180))
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 60, 210, 180), fill=(230, 190, 150))
    draw.text((20, 200), "Sample 123", fill=(255, 255, 255))
    return image


_registry = Registry()


def get_registry() -> Registry:
    return _registry
