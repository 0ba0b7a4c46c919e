"""What every model wrapper offers the registry: a path to check, a timed load, a sample run."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from typing import TYPE_CHECKING

from .errors import ModelUnavailable

if TYPE_CHECKING:
    from PIL import Image


def package_file(package: str, *parts: str) -> str:
    """Path of a file shipped inside an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"The Python package {package!r} is not installed.")
    return os.path.join(os.path.dirname(spec.origin), *parts)


class Component:
    """One model. Subclasses implement weights_path(), _load() and sample()."""

    name = "model"
    device = "cpu"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self.load_s: float | None = None
        self._loaded = False
        # Serialises first load and inference: several wrapped runtimes (mediapipe's
        # graph in particular) are not safe to call from two threads at once.
        self.lock = threading.RLock()

    def weights_path(self) -> str:
        raise NotImplementedError

    def load(self) -> None:
        with self.lock:
            if self._loaded:
                return
            self.check_present()
            started = time.perf_counter()
            try:
                self._load()
            except ImportError as exc:
                raise ModelUnavailable(
                    f"{self.name}: a required package is missing ({exc})"
                ) from exc
            self.load_s = time.perf_counter() - started
            self._loaded = True

    def is_present(self) -> bool:
        return os.path.exists(self.weights_path())

    def check_present(self) -> None:
        if not self.is_present():
            raise ModelUnavailable(f"Weights for {self.name} are missing: {self.weights_path()}")

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _load(self) -> None:
        raise NotImplementedError

    def sample(self, image: Image.Image) -> None:
        """Run once on `image`, for check_ai_models' timing."""
        raise NotImplementedError
