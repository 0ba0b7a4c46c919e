"""Secrets at rest: the AI endpoint's API key is stored encrypted, bound to its endpoint.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF from
settings.AI_KEY_SECRET (SECRET_KEY unless set), so a database dump or backup
alone never yields the key. Rotating the secret makes stored keys unreadable:
they then count as "no key stored" and an admin enters them again.
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

logger = logging.getLogger(__name__)

_HKDF_INFO = b"photo-album ai api key v1"


def _fernet() -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        settings.AI_KEY_SECRET.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def secret_encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii") if plaintext else ""


def secret_decrypt(token: str) -> str:
    """The plaintext, or "" when nothing is stored or the secret has changed since."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        # Never log the token or the key; only that it could not be read.
        logger.warning("The stored AI API key cannot be decrypted (AI_KEY_SECRET changed?)")
        return ""


def endpoint_same(a: str, b: str) -> bool:
    return a.strip().rstrip("/") == b.strip().rstrip("/")


def api_key_for_endpoint(*, token: str, bound_endpoint: str, endpoint_url: str) -> str:
    """The stored key, only when it is going to the endpoint it was saved with."""
    if not token or not endpoint_url or not endpoint_same(bound_endpoint, endpoint_url):
        return ""
    return secret_decrypt(token)
