"""Template filters that put numbers and times in words."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

register = template.Library()


@register.filter
def duration(value: timedelta | float | int | None) -> str:
    """15 minutes, 1 hour 5 minutes, 40 seconds."""
    if value is None:
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((hours, "hour"), (minutes, "minute"))
        if count
    ]
    if secs and not hours:
        parts.append(f"{secs} second{'' if secs == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


@register.filter
def when(value: str | datetime | None) -> str:
    """An ISO time as people read it: "30 Nov 2026, 02:00 (in 16 hours)", in the site's zone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = timezone.localtime(moment)
    now = timezone.now()
    relative = f"in {timeuntil(moment, now)}" if moment > now else f"{timesince(moment, now)} ago"
    return f"{local:%-d %b %Y, %H:%M} ({relative.replace(chr(0xA0), ' ')})"


@register.filter
def camera(item: object) -> str:
    """Make and model, without saying the make twice ("Canon EOS 400D DIGITAL", not
    "Canon Canon EOS 400D DIGITAL": many cameras repeat the make in their model)."""
    make = str(getattr(item, "camera_make", "") or "").strip()
    model = str(getattr(item, "camera_model", "") or "").strip()
    if make and model.lower().startswith(make.lower()):
        return model
    return f"{make} {model}".strip()
