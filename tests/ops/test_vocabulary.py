"""/ai-settings/vocabulary/: staff list, search, add, edit and remove concepts, and ask
a worker for a preview; the default vocabulary a new database starts with."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from photos.models import Concept
from photos.selectors.vocabulary import vocabulary_current
from photos.services import queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff, client_for):
    return client_for(staff)


@pytest.fixture
def concepts(db):
    Concept.objects.all().delete()  # whatever the migration left: these tests own the list
    return [
        Concept.objects.create(name="dog", synonyms=["puppy"], threshold=0.1, category="animals"),
        Concept.objects.create(name="beach", threshold=0.15, category="places"),
        Concept.objects.create(name="bride", threshold=0.1, needs="face", category="people"),
    ]


def rows(response) -> list[str]:
    return [c.name for c in response.context["page"]]


def test_the_migration_fills_about_a_thousand_concepts(db):
    migration = importlib.import_module("photos.migrations.0012_vocabulary")
    Concept.objects.all().delete()
    migration.default_concepts_load(apps, None)
    assert 900 <= Concept.objects.count() <= 1100
    bride = Concept.objects.get(name="bride")
    assert bride.needs == "face" and "person" in bride.parents and bride.threshold == 0.1
    assert Concept.objects.get(name="dog").synonyms == ["puppy"]


def test_staff_list_and_search_by_name_synonym_and_category(staff_client, concepts):
    url = reverse("ai-vocabulary")
    assert rows(staff_client.get(url)) == ["beach", "bride", "dog"]
    assert rows(staff_client.get(url, {"q": "pupp"})) == ["dog"]
    assert rows(staff_client.get(url, {"category": "places"})) == ["beach"]
    page = staff_client.get(url, {"q": "dog"}).content.decode()
    assert 'data-concept="dog"' in page and "puppy" in page


def test_staff_add_a_concept_and_the_engine_vocabulary_follows(staff_client, concepts):
    before = vocabulary_current().version
    response = staff_client.post(
        reverse("ai-concept-new"),
        {"name": " Hot Air Balloon ", "synonyms": "balloon, Balloon ,", "parents": "",
         "threshold": "0.12", "needs": "", "category": "vehicles", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    added = Concept.objects.get(name="hot air balloon")
    assert added.synonyms == ["balloon"]
    vocabulary = vocabulary_current()
    assert vocabulary.version != before
    assert vocabulary.get("hot air balloon").threshold == 0.12


def test_staff_edit_synonyms_and_threshold(staff_client, concepts):
    dog = concepts[0]
    response = staff_client.post(
        reverse("ai-concept-edit", args=[dog.pk]),
        {"name": "dog", "synonyms": "puppy, hound", "parents": "animal", "threshold": "0.05",
         "needs": "", "category": "animals", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    dog.refresh_from_db()
    assert (dog.synonyms, dog.parents, dog.threshold) == (["puppy", "hound"], ["animal"], 0.05)
    assert vocabulary_current().get("dog").synonyms == ("puppy", "hound")


def test_a_disabled_concept_leaves_the_engine_vocabulary(staff_client, concepts):
    beach = concepts[1]
    staff_client.post(
        reverse("ai-concept-edit", args=[beach.pk]),
        {"name": "beach", "threshold": "0.15", "needs": "", "category": "places"},
    )
    assert vocabulary_current().get("beach") is None
    assert Concept.objects.filter(name="beach", enabled=False).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "dog", "already exists"),
        ("threshold", "0", "greater than or equal to 0.001"),
        ("threshold", "1.5", "less than or equal to 1"),
        ("needs", "magic", "Select a valid choice"),
    ],
)
def test_it_refuses_bad_values(staff_client, concepts, field, value, message):
    data = {"name": "cat", "threshold": "0.1", "needs": "", field: value}
    response = staff_client.post(reverse("ai-concept-new"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Concept.objects.filter(name="cat").exists()


def test_staff_remove_a_concept(staff_client, concepts):
    response = staff_client.post(reverse("ai-concept-delete", args=[concepts[1].pk]))
    assert response.status_code == 302
    assert not Concept.objects.filter(name="beach").exists()
    assert vocabulary_current().get("beach") is None


def test_an_unknown_concept_is_404(staff_client, concepts):
    assert staff_client.get(reverse("ai-concept-edit", args=[999_999])).status_code == 404
    assert staff_client.post(reverse("ai-concept-delete", args=[999_999])).status_code == 404


def test_a_preview_is_sent_to_the_interactive_worker(staff_client, queue_sends, settings):
    response = staff_client.post(
        reverse("ai-vocabulary-preview"),
        {"name": "Dog", "synonyms": "puppy", "threshold": "0.2", "needs": "face"},
    )
    assert response.status_code == 202
    (name, args, options) = queue_sends[0]
    assert name == queue.VOCABULARY_PREVIEW_TASK
    assert args == [{"name": "Dog", "synonyms": ["puppy"], "threshold": 0.2, "needs": "face"}]
    assert settings.CELERY_TASK_ROUTES[name] == {"queue": "interactive"}
    result = staff_client.get(response.json()["result_url"]).json()
    assert result == {"state": "PENDING", "done": False}


def test_a_preview_of_a_bad_concept_is_refused(staff_client, queue_sends):
    response = staff_client.post(reverse("ai-vocabulary-preview"), {"name": "", "threshold": "2"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "threshold"}
    assert queue_sends == []
