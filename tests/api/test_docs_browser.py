"""The API docs in Chromium: Swagger UI from our static files, listing the endpoints, offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_every_endpoint_from_local_files(page: Page, live_server, make_user):
    make_user("ada")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url
    page.goto(f"{base}/login/?next=/api/docs/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # Swagger UI fetched the schema with the session and drew one block per operation.
    expect(page.locator(".opblock-summary-path[data-path='/api/items/{id}/tags/']")).to_have_count(
        2
    )
    expect(page.locator(".opblock-summary-path[data-path='/api/search/']")).to_have_count(1)
    assert not errors
    assert all(url.startswith(base) for url in requests), [
        url for url in requests if not url.startswith(base)
    ]
