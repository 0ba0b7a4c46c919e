from __future__ import annotations

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        from django.urls import register_converter

        from photos.kinds import KindConverter

        from . import worker_init  # noqa: F401 - connects the worker-start warm-up

        # Here, once, before any URLconf that uses <kind:...> is imported.
        register_converter(KindConverter, "kind")
