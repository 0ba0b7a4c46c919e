"""The stored AI API key: only ever sent to its own endpoint, encrypted at rest, never shown.

Two real HTTP listeners on 127.0.0.1 stand in for the owner's endpoint and an
attacker's: the stored key may reach the first and never the second, whether
through "Save" or "Test on a sample photo".
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.urls import reverse

from photos.services.ai_sample import sample_analyze
from photos.services.ai_settings import ai_settings_get
from photos.services.secrets import secret_decrypt
from tests.ops.test_ai_settings import VALID

KEY = "sk-owner-secret-0123456789"
REPLY = {
    "choices": [
        {"message": {"content": json.dumps({"description": "A cat.", "tags": ["cat", "pet"]})}}
    ]
}


class Listener:
    """A chat-completions endpoint that records the Authorization header of every request."""

    def __init__(self) -> None:
        self.authorizations: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                listener.authorizations.append(self.headers.get("Authorization", ""))
                raw = json.dumps(REPLY).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got_the_key(self) -> bool:
        return any(KEY in header for header in self.authorizations)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def owners_endpoint() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture
def attackers_endpoint() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture
def staff_client(staff, client_for):
    return client_for(staff)


def openai_form(endpoint: str, **changes: str) -> dict[str, str]:
    return {
        **VALID,
        "backend": "openai",
        "endpoint_url": endpoint,
        "model_name": "llava",
        **changes,
    }


@pytest.fixture
def key_stored(staff_client, owners_endpoint) -> None:
    response = staff_client.post(
        reverse("ai-settings"), openai_form(owners_endpoint.url, api_key=KEY)
    )
    assert response.status_code == 302


def test_it_sends_the_stored_key_to_its_own_endpoint(key_stored, owners_endpoint):
    result = sample_analyze({"backend": "openai", "endpoint_url": owners_endpoint.url})

    assert result["ok"], result
    assert owners_endpoint.got_the_key()


def test_a_sample_test_against_another_endpoint_needs_the_key_again(
    key_stored, staff_client, attackers_endpoint
):
    response = staff_client.post(reverse("ai-settings-test"), openai_form(attackers_endpoint.url))

    assert response.status_code == 400
    assert "enter the API key again" in json.dumps(response.json())
    # Even past the form (a crafted task message): the worker sends no key there.
    result = sample_analyze(
        {"backend": "openai", "endpoint_url": attackers_endpoint.url, "model_name": "llava"}
    )
    assert result["ok"], result
    assert attackers_endpoint.authorizations == [""]
    assert not attackers_endpoint.got_the_key()


def test_saving_another_endpoint_without_the_key_is_refused(
    key_stored, staff_client, owners_endpoint, attackers_endpoint
):
    response = staff_client.post(reverse("ai-settings"), openai_form(attackers_endpoint.url))

    assert response.status_code == 200
    assert "enter the API key again" in response.content.decode()
    row = ai_settings_get()
    assert row.endpoint_url == owners_endpoint.url
    assert row.api_key_endpoint == owners_endpoint.url


def test_even_a_row_edited_behind_the_forms_back_sends_no_key_elsewhere(
    key_stored, attackers_endpoint
):
    row = ai_settings_get()
    row.endpoint_url = attackers_endpoint.url  # /admin/ or a shell, not the form
    row.save()

    result = sample_analyze({})

    assert result["ok"], result
    assert attackers_endpoint.authorizations == [""]


def test_a_new_key_typed_with_a_new_endpoint_goes_there_and_is_bound_to_it(
    key_stored, staff_client, attackers_endpoint
):
    # An admin moving to a new server types the new server's key: that is fine.
    response = staff_client.post(
        reverse("ai-settings"), openai_form(attackers_endpoint.url, api_key="sk-new-key-9999")
    )

    assert response.status_code == 302
    row = ai_settings_get()
    assert secret_decrypt(row.api_key) == "sk-new-key-9999"
    assert row.api_key_endpoint == attackers_endpoint.url


def test_the_key_is_encrypted_at_rest(key_stored):
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM photos_aisettings")
        (stored,) = cursor.fetchone()

    assert KEY not in stored
    assert secret_decrypt(stored) == KEY


def test_the_key_is_never_logged_or_shown(
    key_stored, staff_client, owners_endpoint, caplog, django_user_model, client_for
):
    caplog.set_level(logging.DEBUG)
    root = django_user_model.objects.create_superuser("root", password="x" * 12)

    sample_analyze({"backend": "openai", "endpoint_url": owners_endpoint.url})
    page = staff_client.get(reverse("ai-settings")).content.decode()
    admin_page = client_for(root).get(reverse("admin:photos_aisettings_change", args=[1]))

    assert KEY not in caplog.text
    assert KEY not in page
    assert admin_page.status_code == 200
    assert KEY not in admin_page.content.decode()
    assert 'name="api_key"' not in admin_page.content.decode()


def test_a_changed_secret_reads_as_no_key(key_stored, settings, owners_endpoint):
    settings.AI_KEY_SECRET = "rotated"

    result = sample_analyze({"backend": "openai", "endpoint_url": owners_endpoint.url})

    assert result["ok"]
    assert not owners_endpoint.got_the_key()
