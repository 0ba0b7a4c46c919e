"""A worker keeps its PostgreSQL connection between tasks, but never one left mid-work
(photos.worker_connections), on the real test database."""

from __future__ import annotations

import pytest
from django.db import connection

from photos import tasks
from photos.worker_connections import connections_tidy

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a worker


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_an_idle_connection_is_kept_for_the_next_task():
    before = backend_pid()
    connections_tidy(task=tasks.test_celery_task)
    assert connection.connection is not None
    assert backend_pid() == before


def test_a_connection_left_in_a_transaction_is_closed():
    before = backend_pid()
    connection.set_autocommit(False)  # as a task cut off inside transaction.atomic leaves it
    try:
        backend_pid()
        connections_tidy(task=tasks.test_celery_task)
        assert connection.connection is None
    finally:
        connection.set_autocommit(True)
    assert backend_pid() != before  # the next query runs on a new connection


def test_a_connection_is_closed_once_older_than_conn_max_age():
    before = backend_pid()
    connection.close_at = 0  # as CONN_MAX_AGE seconds after it was opened
    connections_tidy(task=tasks.test_celery_task)
    assert backend_pid() != before


def test_a_task_run_in_the_callers_process_leaves_its_connection_alone():
    before = backend_pid()
    connection.set_autocommit(False)
    try:
        backend_pid()
        tasks.test_celery_task.apply()  # eager: the caller's transaction is not the task's
        assert connection.connection is not None
        assert backend_pid() == before
    finally:
        connection.rollback()
        connection.set_autocommit(True)
