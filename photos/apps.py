from __future__ import annotations

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # UPLOAD_MAX_PIXELS is the one pixel limit: Pillow's own bomb guard (89.5 MP
        # by default) would otherwise refuse a 100-MP camera photo first. Pillow warns
        # above this and refuses above twice this; the probe refuses above it.
        Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS

        from django.urls import register_converter

        from photos.kinds import KindConverter

        # Connected in this order: the pool's stderr filter is in place before the
        # warm-up loads the models that write start-up chatter to it.
        from . import (
            gpu_worker,  # noqa: F401 - a GPU worker's queue and heartbeat
            worker_connections,  # noqa: F401 - a database connection kept between tasks
            worker_control,  # noqa: F401 - stderr filter, "pool_memory" command
            worker_init,  # noqa: F401 - connects the worker-start warm-up
        )

        # Here, once, before any URLconf that uses <kind:...> is imported.
        register_converter(KindConverter, "kind")
