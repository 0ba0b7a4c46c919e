"""Login throttling (django-axes): a user name, and an address, lock after N failures."""

from __future__ import annotations

import html

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def log_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers=headers,
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("album-list")


def test_it_locks_a_user_after_n_failures_even_with_the_right_password(owner):
    client = Client()
    for _ in range(LIMIT - 1):
        assert log_in(client, "ada", "wrong").status_code == 200  # the form again

    locked = log_in(client, "ada", "wrong")
    right = log_in(Client(), "ada", PASSWORD, address="10.9.9.9")  # from elsewhere too

    assert locked.status_code == 429
    assert right.status_code == 429
    page = html.unescape(right.content.decode())
    assert "Too many failed logins" in page
    assert f"after {LIMIT} wrong passwords" in page
    assert "in 15 minutes" in page


def test_it_locks_an_address_that_tries_many_users(make_user):
    make_user("bob")
    for n in range(LIMIT):
        log_in(Client(), f"guess{n}", "wrong", address="10.6.6.6")

    from_there = log_in(Client(), "bob", PASSWORD, address="10.6.6.6")
    from_elsewhere = log_in(Client(), "bob", PASSWORD, address="10.7.7.7")

    assert from_there.status_code == 429
    assert logged_in(from_elsewhere)


def test_a_success_before_the_limit_starts_the_count_again(owner):
    for _ in range(LIMIT - 1):
        log_in(Client(), "ada", "wrong")
    assert logged_in(log_in(Client(), "ada", PASSWORD))

    for _ in range(LIMIT - 1):
        log_in(Client(), "ada", "wrong")
    assert logged_in(log_in(Client(), "ada", PASSWORD))


def test_an_admin_unlocks_a_user(owner, django_user_model):
    for _ in range(LIMIT):
        log_in(Client(), "ada", "wrong")
    assert log_in(Client(), "ada", PASSWORD).status_code == 429
    root = django_user_model.objects.create_superuser("root", password="x" * 12)
    admin = Client()
    admin.force_login(root)

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "ada" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="ada")
    admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert logged_in(log_in(Client(), "ada", PASSWORD))


def test_behind_the_local_nginx_the_real_client_address_counts(make_user):
    make_user("bob")
    for n in range(LIMIT):
        log_in(Client(), f"guess{n}", "wrong", address="127.0.0.1", x_real_ip="203.0.113.9")

    # Another client through the same proxy is not locked out with the first.
    other = log_in(Client(), "bob", PASSWORD, address="127.0.0.1", x_real_ip="203.0.113.10")
    attacker = log_in(Client(), "bob", PASSWORD, address="127.0.0.1", x_real_ip="203.0.113.9")

    assert logged_in(other)
    assert attacker.status_code == 429


def test_a_remote_peer_cannot_pick_its_address_with_the_header(make_user):
    for n in range(LIMIT):
        log_in(Client(), f"guess{n}", "wrong", address="10.6.6.6", x_real_ip=f"198.51.100.{n}")

    assert log_in(Client(), "nobody", "wrong", address="10.6.6.6").status_code == 429
