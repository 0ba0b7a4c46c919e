"""Is beat alive? Its scheduler records a heartbeat in Redis on every tick.

Without one, a stopped beat goes unnoticed: the nightly batch, the sweep and
the reaper all stop silently. validate_deployment (test 6), ai_health and
/ops/ read the heartbeat's age.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings

HEARTBEAT_KEY = "photo-album:beat-heartbeat"
BEAT_STOPPED_HINT = (
    "Beat is not running: sudo systemctl status photo-album-celery-beat "
    "(sudo systemctl start photo-album-celery-beat)"
)


def heartbeat_client() -> redis.Redis:
    # The broker's Redis: where beat and every reader already connect.
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=2
    )


def beat_heartbeat_record() -> None:
    # Kept well past the staleness limit, so an old value still says "stopped at".
    heartbeat_client().set(HEARTBEAT_KEY, repr(time.time()), ex=7 * 24 * 3600)


def beat_heartbeat_age() -> float | None:
    """Seconds since beat's last tick; None when beat never ticked (or Redis can't say)."""
    try:
        raw = heartbeat_client().get(HEARTBEAT_KEY)
    except redis.RedisError:
        return None
    return None if raw is None else max(0.0, time.time() - float(raw))


def beat_alive(age: float | None) -> bool:
    return age is not None and age <= settings.BEAT_HEARTBEAT_STALE


def beat_state() -> dict[str, object]:
    age = beat_heartbeat_age()
    return {"alive": beat_alive(age), "last_tick_age_s": None if age is None else round(age, 1)}
