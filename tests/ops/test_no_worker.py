"""validate_deployment with no worker running: test 1 fails with its hint, exit status 1."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_validate_deployment_fails_test_one_without_a_worker(capsys):
    from tests.pipeline.conftest import redis_flush

    redis_flush()  # no worker of an earlier module may still be registered

    with pytest.raises(SystemExit) as exit_:
        call_command("validate_deployment", "--json", "--skip", "5", "--timeout", "5")

    assert exit_.value.code == 1
    report = json.loads(capsys.readouterr().out)
    first = report["results"][0]
    assert (first["number"], first["status"]) == (1, "FAIL")
    assert "no worker answered" in first["figure"]
    assert "CELERY_BROKER_URL" in first["hint"]
    needing_worker = [r for r in report["results"] if r["number"] in (2, 3, 4, 7, 8)]
    assert {r["status"] for r in needing_worker} == {"SKIP"}
