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

        # Here, once, before any URLconf that uses <kind:...> is imported.
        register_converter(KindConverter, "kind")
