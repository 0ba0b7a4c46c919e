"""A worker keeps its database connection from one task to the next, as a web process
keeps it from one request to the next (CONN_MAX_AGE, CONN_HEALTH_CHECKS).

Celery's Django fixup closes every connection before and after each task unless
CELERY_DB_REUSE_MAX is set (settings.py sets it). It does so because a soft time
limit can interrupt a query and leave a connection that Django still takes for
usable (celery#9824). The price is a new PostgreSQL backend for each task: about
5 ms to connect, and every statement of the task then runs on cold catalogue
caches, about 10 ms of a photo's 0.3 s in all (scripts/bench_pipeline.py).

So the check that guarded against that is made here, at both ends of each task:
a connection that is not idle (a query cut off mid-flight, a transaction left
open or failed, a broken socket) is closed, and the others follow Django's own
rules: closed once older than CONN_MAX_AGE or after an error that left them
unusable, and health-checked before their first query in the next task.

Imported by PhotosConfig.ready(); the signals only fire in workers.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from celery import Task
from celery.signals import task_postrun, task_prerun
from django.db import Error, close_old_connections, connections

if TYPE_CHECKING:
    from psycopg import Connection


def connection_idle(connection: Connection[Any]) -> bool:
    """True when a PostgreSQL connection sits between statements with no transaction."""
    from psycopg import pq

    return connection.info.transaction_status == pq.TransactionStatus.IDLE


@task_prerun.connect
@task_postrun.connect
def connections_tidy(task: Task | None = None, **_kwargs: object) -> None:
    if task is None or task.request.is_eager:
        return  # run in the caller's process and transaction (tests), not a worker's
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is None:
            continue
        if wrapper.vendor != "postgresql" or not connection_idle(wrapper.connection):
            with suppress(Error):  # a broken one is dropped all the same
                wrapper.close()
    close_old_connections()
