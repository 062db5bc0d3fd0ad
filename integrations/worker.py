"""A task worker's life around the transfers it runs: stop on SIGTERM, show signs of life.

Django-Q2 starts each worker process of the cluster and sends `post_spawn` in it;
`worker_install` (connected in apps.py) then prepares that process:

- **SIGTERM stops it at once.** systemd sends SIGTERM to every process of the service when it
  stops it (and `manage.py qcluster` forwards it to its workers). The transfers the worker runs
  (on any of its lanes, integrations.lanes) are interrupted wherever they are, even in a slow
  HTTP call: the main thread puts each back to pending with a note
  (`engine.transfer_release_interrupted`), no lane claims another, and the worker exits; an
  idle worker just exits. The next run finds them pending, as after any attempt whose outcome
  is unknown.
- **Heartbeat.** While it runs transfers, one thread of the process renews their
  `heartbeat_at` in one UPDATE. If the process dies without a word (SIGKILL, out of memory),
  the sweep's reaper sees the heartbeat stop and puts the transfers back to pending after
  INTEGRATIONS_HEARTBEAT_TIMEOUT seconds instead of INTEGRATIONS_RUNNING_TIMEOUT.

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
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django import db
from django.conf import settings

from .lanes import lanes_warm_all

logger = logging.getLogger(__name__)


class WorkerStopping(BaseException):
    """SIGTERM reached a worker while it ran a transfer. A BaseException, like SystemExit, so
    no `except Exception` on the way (the engine records every Exception as a failure)
    mistakes a shutdown for the transfer's failure."""


_state: dict = {"installed": False, "stopping": False}
#: Seconds between the interpreter's thread switches in a worker (see `worker_install`).
SWITCH_INTERVAL = 0.001
#: The transfers this process runs now, on any of its lanes (integrations.lanes).
_running: set[int] = set()
_running_lock = threading.Lock()


def worker_name() -> str:
    """host:pid of this process, stored on the transfers it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def heartbeats_enabled() -> bool:
    """True in a prepared cluster worker (its claims get a heartbeat)."""
    return _state["installed"]


def worker_stopping() -> bool:
    """True once SIGTERM reached this worker: its lanes claim nothing more."""
    return _state["stopping"]


def worker_install(**kwargs) -> None:
    """Django-Q2 `post_spawn` receiver: prepare this worker process (see the module text)."""
    from django_q.conf import Conf

    if Conf.SYNC or multiprocessing.current_process().name == "MainProcess":
        return  # sync mode runs the worker loop inline in the caller's process
    _state.update(installed=True, stopping=False)
    with _running_lock:
        _running.clear()
    signal.signal(signal.SIGTERM, _on_sigterm)
    # A lane waking for its rate-limit tick must get the interpreter within the limiter's
    # tolerance (5 ms); by default Python hands it between threads only every 5 ms.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    # `manage.py qcluster` starts the cluster with SIGTERM blocked (inherited by every process
    # it forks); a worker takes it again here, with its handler in place.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    # The lanes connect now, once, rather than in the middle of the first transfer or batch.
    lanes_warm_all()


def _on_sigterm(signum, frame) -> None:
    if _state["stopping"]:
        return  # already on its way out (the main process forwards the signal too)
    _state["stopping"] = True
    if running_transfers():
        raise WorkerStopping
    logger.info("Task worker %s stopped by SIGTERM (no transfer running)", worker_name())
    raise SystemExit(0)


def running_transfers() -> list[int]:
    with _running_lock:
        return sorted(_running)


@contextmanager
def transfer_running(transfer_id: int) -> Iterator[None]:
    """Run a transfer under the worker's heartbeat and SIGTERM handling, on any lane (a no-op
    outside prepared cluster workers)."""
    if not _state["installed"]:
        yield
        return
    with _running_lock:
        _running.add(transfer_id)
    heartbeat_ensure()
    try:
        with released_on_stop():
            yield
    finally:
        with _running_lock:
            _running.discard(transfer_id)


@contextmanager
def released_on_stop() -> Iterator[None]:
    """In the worker's main thread: when SIGTERM interrupts what runs inside (a transfer, or
    the wait for the lanes running transfers), every transfer this process runs goes back to
    pending and the worker ends. Other threads never see the signal."""
    try:
        yield
    except BaseException:
        if not _state["stopping"] or threading.current_thread() is not threading.main_thread():
            raise
        # WorkerStopping, or what it caused on the way out (a database call cut short by the
        # signal can fail again in the engine's `finally`): either way the worker stops here.
        _release_all()
        raise SystemExit(0) from None


def _release_all() -> None:
    from .engine import transfer_release_interrupted

    # The signal may have cut a database call short: start from a fresh connection (outside
    # any transaction; the exception has left every atomic block of the task by now).
    for connection in db.connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
    for transfer_id in running_transfers():
        released = transfer_release_interrupted(transfer_id=transfer_id, worker=worker_name())
        logger.warning(
            "Task worker %s stopped by SIGTERM while running transfer %s%s", worker_name(),
            transfer_id, "; it is pending again" if released else "",
        )  # fmt: skip


_heartbeat: dict = {"thread": None}


def heartbeat_ensure() -> None:
    """Start this process's heartbeat thread unless it runs."""
    with _running_lock:
        thread = _heartbeat["thread"]
        if thread is None or not thread.is_alive():
            thread = _heartbeat["thread"] = Heartbeat()
            thread.start()


class Heartbeat(threading.Thread):
    """Renews the heartbeat of every transfer the process runs (one UPDATE for all of them)
    every quarter of INTEGRATIONS_HEARTBEAT_TIMEOUT, for as long as the process lives. Keeps
    its own database connection (CONN_MAX_AGE), opened only once there is something to renew."""

    def __init__(self) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker = worker_name()
        self.interval = max(1.0, settings.INTEGRATIONS_HEARTBEAT_TIMEOUT / 4)
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            self.beat()

    def beat(self) -> int:
        from .engine import transfers_heartbeat

        ids = running_transfers()
        if not ids:
            return 0
        db.close_old_connections()
        try:
            return transfers_heartbeat(transfer_ids=ids, worker=self.worker)
        except db.DatabaseError:
            logger.warning("Heartbeat of transfers %s not saved", ids, exc_info=True)
            return 0

    def stop(self) -> None:
        self._stopped.set()
