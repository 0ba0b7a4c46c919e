from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from photos.services.api_tokens import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # DRF's throttles count in the cache: one test's requests must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_for(db) -> Callable[..., APIClient]:
    """A client that sends a real token, made by the same service as /account/."""

    def make(user) -> APIClient:
        _token, key = api_token_create(user=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
