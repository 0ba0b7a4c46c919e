"""Short, renewed leases: a dead worker's item is taken over in about a minute, not hours.

While an item is processed, a heartbeat thread in the processing process moves
`lease_expires_at` AI_LEASE_SECONDS ahead every AI_LEASE_RENEW_INTERVAL
seconds, whatever the processing timeout. So the lease outlives a live task
(however slow) and expires soon after its process dies; the reaper then hands
the item out again.

`lease_holder` names the process ("host:pid:thread"). A redelivered message
(Celery gives a SIGKILLed pool process's message straight back) finds the
holder dead on this host and takes the item over at once, without waiting for
the lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import psutil
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

if TYPE_CHECKING:
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)


def holder_here() -> str:
    """This process and thread, as written into `lease_holder`."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def holder_gone(holder: str) -> bool:
    """True when the holder is a process on this host that is no longer running.

    Another host's holder is never judged from here: its lease expires instead.
    """
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        # A SIGKILLed pool process is a zombie until the worker reaps it.
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def lease_expiry() -> timedelta:
    return timedelta(seconds=settings.AI_LEASE_SECONDS)


class LeaseHeartbeat:
    """Renews the lease of the rows in `held` until the block ends (a daemon thread).

    The thread has its own database connection (Django's are per thread): a
    dropped one is closed and opened again at the next beat.
    """

    def __init__(self, held: QuerySet) -> None:
        self.held = held
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.AI_LEASE_RENEW_INTERVAL):
                self.renew()
        finally:
            connection.close()

    def renew(self) -> None:
        try:
            self.held.update(lease_expires_at=timezone.now() + lease_expiry())
        except DatabaseError as exc:
            logger.warning("Lease renewal failed (%s); reconnecting at the next beat", exc)
            connection.close()
