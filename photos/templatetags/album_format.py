"""Template filters that put numbers and times in words."""

from __future__ import annotations

from datetime import timedelta

from django import template

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
