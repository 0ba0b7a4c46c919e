"""Exceptions raised by the engine; the caller decides retry versus failure by class."""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error the engine raises on purpose."""


class UnreadableMedia(EngineError):
    """A permanent problem with the input; str(exc) is shown to the user as the reason."""


class BackendUnavailable(EngineError):
    """A transient problem (endpoint busy, 5xx, timeout): try the same item again later."""


class ModelUnavailable(EngineError):
    """A configuration problem: weights missing, a model that does not load, a bad API key."""
