"""Each worker process loads the AI models when it starts, before it can claim an item.

Connected in PhotosConfig.ready(); the signal only fires in Celery pool processes, so
the web process never loads a model. Loading then never counts against an item's
processing timeout, and the first item is as quick as the second.
"""

from __future__ import annotations

import logging

from celery.signals import worker_process_init

logger = logging.getLogger(__name__)


@worker_process_init.connect
def models_warm_up(**_kwargs: object) -> None:
    from django.db import DatabaseError, connections

    from ai_engine import EngineSettings, warm_up
    from photos.languages import languages_load
    from photos.services.ai import engine_settings
    from photos.services.ai_settings import ai_settings_get

    try:
        settings = engine_settings(ai_settings_get())
    except (DatabaseError, ValueError) as exc:
        # The database may be down at boot; the default backend is what most installs
        # use, and an item on another backend still loads its own models when it runs.
        logger.warning("AI settings unreadable at worker start (%s); warming up offline", exc)
        settings = EngineSettings()
    finally:
        connections.close_all()  # a task opens its own; none is held while idle
    try:
        warm_up(settings)
        languages_load()
    except Exception:  # the process must still start; its first item reports the problem
        logger.exception("AI warm-up failed")
