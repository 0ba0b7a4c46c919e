"""Who may open each operations page and action: staff, owners, others, anonymous."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from photos.models import Photo, ProcessingStatus, Video

STAFF_PAGES = [
    ("get", "ai-settings", []),
    ("post", "ai-settings", []),
    ("get", "ai-settings-sample", []),
    ("post", "ai-settings-test", []),
    ("get", "ai-settings-test-result", ["0f1e2d3c-0000-0000-0000-000000000000"]),
    ("get", "ai-vocabulary", []),
    ("get", "ai-concept-new", []),
    ("post", "ai-concept-new", []),
    ("get", "ai-concept-edit", [1]),
    ("post", "ai-concept-edit", [1]),
    ("post", "ai-concept-delete", [1]),
    ("post", "ai-vocabulary-preview", []),
    ("get", "ai-vocabulary-preview-result", ["0f1e2d3c-0000-0000-0000-000000000000"]),
    ("get", "ops-dashboard", []),
    ("get", "ops-status", []),
    ("post", "ops-retry-failed", []),
    ("post", "ops-process-pending", []),
]


@pytest.fixture(autouse=True)
def no_broker_calls(monkeypatch):
    """Permission checks come before any work; nothing here may reach a worker."""
    from photos.selectors import ops

    monkeypatch.setattr(ops, "workers_inspect", lambda **kwargs: ops.WorkersReport())


@pytest.mark.parametrize(("method", "name", "args"), STAFF_PAGES)
def test_it_refuses_non_staff(method, name, args, owner, client_for):
    response = getattr(client_for(owner), method)(reverse(name, args=args))

    assert response.status_code == 403


@pytest.mark.parametrize(("method", "name", "args"), STAFF_PAGES)
def test_it_sends_anonymous_users_to_login(method, name, args, db):
    url = reverse(name, args=args)

    response = getattr(Client(), method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "name", ["ai-settings", "ai-vocabulary", "ai-concept-new", "ops-dashboard", "ops-status"]
)
def test_it_lets_staff_in(name, staff, client_for):
    assert client_for(staff).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("model", [Photo, Video])
@pytest.mark.parametrize("action", ["retry", "status"])
def test_it_hides_another_users_item(model, action, make_item, stranger, client_for):
    item = make_item(ProcessingStatus.FAILED, model=model)
    client = client_for(stranger)
    url = reverse(f"item-{action}", args=[item.kind, item.pk])

    response = client.post(url) if action == "retry" else client.get(url)

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.processing_status == ProcessingStatus.FAILED


@pytest.mark.parametrize("action", ["retry", "status"])
def test_it_sends_anonymous_item_requests_to_login(action, make_item):
    item = make_item(ProcessingStatus.FAILED)
    url = reverse(f"item-{action}", args=["photo", item.pk])

    response = Client().post(url) if action == "retry" else Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_it_lets_owner_and_staff_retry(who, make_item, client_for, request):
    item = make_item(ProcessingStatus.FAILED, processing_error="boom")
    client = client_for(request.getfixturevalue(who))

    response = client.post(reverse("item-retry", args=["photo", item.pk]))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.processing_status == ProcessingStatus.PENDING
    assert item.processing_error == ""
