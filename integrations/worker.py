"""A task worker's life around the transfer it runs: stop on SIGTERM, show signs of life.

Django-Q2 starts each worker process of the cluster and sends `post_spawn` in it;
`worker_install` (connected in apps.py) then prepares that process:

- **SIGTERM stops it at once.** systemd sends SIGTERM to every process of the service when it
  stops it (and `manage.py qcluster` forwards it to its workers). A transfer the worker runs is
  interrupted wherever it is, even in a slow HTTP call, put back to pending with a note
  (`engine.transfer_release_interrupted`), and the worker exits; an idle worker just exits.
  The next run finds the transfer pending, as after any attempt whose outcome is unknown.
- **Heartbeat.** While it runs a transfer, a thread renews the transfer's `heartbeat_at`. If the
  process dies without a word (SIGKILL, out of memory), the sweep's reaper sees the heartbeat
  stop and puts the transfer back to pending after INTEGRATIONS_HEARTBEAT_TIMEOUT seconds
  instead of INTEGRATIONS_RUNNING_TIMEOUT.

Only real cluster workers are prepared. Sync mode (tests, `Q_SYNC`) and management commands run
transfers in the calling process, which keeps its own signal handling and has no heartbeat
(the reaper then falls back to `started_at` and the long timeout).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django import db
from django.conf import settings

logger = logging.getLogger(__name__)


class WorkerStopping(BaseException):
    """SIGTERM reached a worker while it ran a transfer. A BaseException, like SystemExit, so
    no `except Exception` on the way (the engine records every Exception as a failure)
    mistakes a shutdown for the transfer's failure."""


_state: dict = {"installed": False, "stopping": False, "transfer_id": None}


def worker_name() -> str:
    """host:pid of this process, stored on the transfers it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def heartbeats_enabled() -> bool:
    """True in a prepared cluster worker (its claims get a heartbeat)."""
    return _state["installed"]


def worker_install(**kwargs) -> None:
    """Django-Q2 `post_spawn` receiver: prepare this worker process (see the module text)."""
    from django_q.conf import Conf

    if Conf.SYNC or multiprocessing.current_process().name == "MainProcess":
        return  # sync mode runs the worker loop inline in the caller's process
    _state.update(installed=True, stopping=False, transfer_id=None)
    signal.signal(signal.SIGTERM, _on_sigterm)
    # `manage.py qcluster` starts the cluster with SIGTERM blocked (inherited by every process
    # it forks); a worker takes it again here, with its handler in place.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _on_sigterm(signum, frame) -> None:
    if _state["stopping"]:
        return  # already on its way out (the main process forwards the signal too)
    _state["stopping"] = True
    if _state["transfer_id"] is not None:
        raise WorkerStopping
    logger.info("Task worker %s stopped by SIGTERM (no transfer running)", worker_name())
    raise SystemExit(0)


@contextmanager
def transfer_running(transfer_id: int) -> Iterator[None]:
    """Run a transfer task under the worker's SIGTERM handling and heartbeat (a no-op outside
    prepared cluster workers)."""
    if not _state["installed"]:
        yield
        return
    heartbeat = Heartbeat(transfer_id)
    heartbeat.start()
    _state["transfer_id"] = transfer_id
    try:
        yield
    except BaseException:
        if not _state["stopping"]:
            raise
        # WorkerStopping, or what it caused on the way out (a database call cut short by the
        # signal can fail again in the engine's `finally`): either way the worker stops here.
        _state["transfer_id"] = None
        heartbeat.stop()
        _release(transfer_id)
        raise SystemExit(0) from None
    finally:
        _state["transfer_id"] = None
        heartbeat.stop()


def _release(transfer_id: int) -> None:
    from .engine import transfer_release_interrupted

    # The signal may have cut a database call short: start from a fresh connection (outside
    # any transaction; the exception has left every atomic block of the task by now).
    for connection in db.connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
    released = transfer_release_interrupted(transfer_id=transfer_id, worker=worker_name())
    logger.warning(
        "Task worker %s stopped by SIGTERM while running transfer %s%s", worker_name(),
        transfer_id, "; it is pending again" if released else "",
    )  # fmt: skip


class Heartbeat(threading.Thread):
    """Renews the transfer's heartbeat every quarter of INTEGRATIONS_HEARTBEAT_TIMEOUT until
    stopped. Uses its own database connection, closed when it ends."""

    def __init__(self, transfer_id: int) -> None:
        super().__init__(name=f"heartbeat-{transfer_id}", daemon=True)
        self.transfer_id = transfer_id
        self.worker = worker_name()
        self.interval = max(1.0, settings.INTEGRATIONS_HEARTBEAT_TIMEOUT / 4)
        self._stopped = threading.Event()

    def run(self) -> None:
        from .engine import transfer_heartbeat

        try:
            while not self._stopped.wait(self.interval):
                try:
                    transfer_heartbeat(transfer_id=self.transfer_id, worker=self.worker)
                except db.DatabaseError:
                    logger.warning("Heartbeat of transfer %s not saved", self.transfer_id,
                                   exc_info=True)  # fmt: skip
        finally:
            db.connection.close()

    def stop(self) -> None:
        self._stopped.set()
