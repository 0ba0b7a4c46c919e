"""Share-link writes: create, revoke, record an open, unlock with the password."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from photos.models import Album, ShareLink

TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters
PASSWORD_ATTEMPTS = 10
PASSWORD_LOCK_TIME = timedelta(minutes=15)


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedShareLink:
    link: ShareLink
    token: str  # shown to the owner once; only its hash is stored


def share_link_create(
    *,
    album: Album,
    created_by: AbstractBaseUser,
    label: str = "",
    expires_at: datetime | None = None,
    password: str = "",
    allow_originals: bool = False,
    allow_location: bool = False,
) -> CreatedShareLink:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        album=album,
        created_by=created_by,
        token_hash=share_token_hash(token),
        token_hint=token[:6],
        label=label.strip(),
        expires_at=expires_at,
        password=make_password(password) if password else "",
        allow_originals=allow_originals,
        allow_location=allow_location,
    )
    return CreatedShareLink(link=link, token=token)


def share_link_revoke(*, link: ShareLink) -> ShareLink:
    """Revoke the link (idempotent: a second revoke keeps the first time)."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])
    return link


def share_link_record_open(*, link: ShareLink) -> None:
    """Count a visit in SQL, so two visitors at once both count."""
    now = timezone.now()
    ShareLink.objects.filter(pk=link.pk).update(last_opened_at=now, open_count=F("open_count") + 1)


class PasswordCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong guesses: try again later


def share_link_password_check(*, link: ShareLink, password: str) -> PasswordCheck:
    """Check a visitor's password, counting wrong guesses per link in SQL.

    Per link, not per address: guesses from many addresses add up. The price is
    that a guesser can make the owner's visitors wait PASSWORD_LOCK_TIME.
    """
    now = timezone.now()
    locked = ShareLink.objects.filter(pk=link.pk, password_locked_until__gt=now).exists()
    if locked:
        return PasswordCheck.LOCKED
    if link.password and check_password(password, link.password):
        ShareLink.objects.filter(pk=link.pk).update(password_failures=0)
        return PasswordCheck.RIGHT
    failures = F("password_failures") + 1
    ShareLink.objects.filter(pk=link.pk).update(password_failures=failures)
    # The guess that reaches the limit locks the link and starts a fresh count.
    ShareLink.objects.filter(pk=link.pk, password_failures__gte=PASSWORD_ATTEMPTS).update(
        password_failures=0, password_locked_until=now + PASSWORD_LOCK_TIME
    )
    return PasswordCheck.WRONG
