"""Lanes: a worker process's threads that keep requests in flight side by side (issue 19).

One transfer (or one POS sale) at a time per worker process leaves the API budget unused: each
request waits ~100 ms for its answer, and a transfer makes several in turn. A `Lanes` pool runs
jobs on a few threads of the process instead, so requests of different transfers (or sales)
overlap within the shared budget (the rate limiter still spaces every one of them).

- **The threads stay.** A pool's threads are started on first use and live as long as the
  process; each keeps its database connection between jobs (CONN_MAX_AGE, health-checked), so
  a busy worker opens no new connection per transfer or per batch. Before each job the thread
  drops its connection if it failed or is older than CONN_MAX_AGE, as Django does before a
  request (`_connections_refresh`).
- **Daemon threads.** A worker stopping (SIGTERM: `integrations.worker`) does not wait for a
  lane's request; the transfers the process ran are put back to pending by the main thread.
- **One lane where threads cannot help:** on SQLite (one writer at a time) and inside a
  caller's transaction (other connections would not see its rows) jobs run inline, one after
  another, in the calling thread.
- **Forks.** A pool notices that it was inherited by a forked process (its threads were not)
  and starts its own.

Pools are named (`lanes("transfers")`, `lanes("pos")`): a transfer running on a transfers
lane may send its POS sales on the pos lanes without ever waiting for a lane of its own pool.
A module that uses a pool declares it (`lanes_declare`), so that a task worker starts every
declared pool's threads and opens their connections when it starts (`lanes_warm_all`, called
by integrations.worker), not in the middle of its first transfer or batch.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from typing import Any

from django import db
from django.db import connection as db_connection

logger = logging.getLogger(__name__)


def threads_useful() -> bool:
    """False where a second thread's connection could not help (SQLite; a caller's open
    transaction, whose rows other connections do not see)."""
    return db_connection.vendor != "sqlite" and not db_connection.in_atomic_block


_END = object()  # no item left


class Lanes:
    """A fixed number of daemon threads taking jobs from one queue (see the module text)."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = max(1, size)
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._pid = os.getpid()

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *,
            width: int | None = None) -> list[Any]:  # fmt: skip
        """fn(item) for every item, up to `width` (default and at most `size`) at once; waits
        for all and returns their results in order. The first exception (in item order) is
        raised once every item has ended. Inline, one by one, where threads cannot help
        (`threads_useful`)."""
        items = list(items)
        results: list[Any] = [None] * len(items)

        def run(pair: tuple[int, Any]) -> None:
            index, item = pair
            results[index] = fn(item)

        self.each(run, enumerate(items), width=min(width or self.size, len(items)))
        return results

    def each(self, fn: Callable[[Any], Any], items: Iterable[Any], *,
             width: int | None = None) -> None:  # fmt: skip
        """fn(item) for every item, up to `width` (default and at most `size`) at once, taking
        the items one by one as lanes come free: a generator may load them page by page while
        the lanes send, so no lane waits for a page's last item. Waits for all; the first
        exception (in the order the items were taken, the generator's own included) is raised
        once every lane has stopped. Inline, one by one, where threads cannot help."""
        width = min(width or self.size, self.size)
        if width <= 1 or not threads_useful():
            for item in items:
                fn(item)
            return
        self._start(self.size)
        errors: list[tuple[int, BaseException]] = []
        todo = iter(items)
        taken = [0]
        todo_lock = threading.Lock()

        def work(_job) -> None:  # one of `width` jobs: takes the next item until none is left
            while True:
                with todo_lock:
                    number = taken[0]
                    taken[0] += 1
                    try:
                        item = next(todo, _END)
                    except BaseException as err:  # noqa: BLE001 - the generator's, raised below
                        errors.append((number, err))
                        return
                if item is _END:
                    return
                try:
                    fn(item)
                except BaseException as err:  # noqa: BLE001 - raised in the caller below
                    errors.append((number, err))

        futures = []
        for job in range(width):
            future: Future = Future()
            self._jobs.put((future, work, job))
            futures.append(future)
        wait(futures)  # a signal handler's exception (SIGTERM) interrupts this wait
        for future in futures:
            future.result()
        if errors:
            raise min(errors, key=lambda pair: pair[0])[1]

    def _start(self, wanted: int) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's threads did not come along
                self._pid, self._threads = os.getpid(), []
                self._jobs = queue.SimpleQueue()
            self._threads = [thread for thread in self._threads if thread.is_alive()]
            while len(self._threads) < wanted:
                thread = threading.Thread(
                    target=self._serve, name=f"lane-{self.name}-{len(self._threads) + 1}",
                    args=(self._jobs,), daemon=True,
                )  # fmt: skip
                thread.start()
                self._threads.append(thread)

    def warm(self) -> int:
        """Start every thread now, each with its database connection open; returns how many
        connected. Where threads cannot help, nothing (inline jobs use the caller's
        connection). A database that is down is logged and left for the first job to retry."""
        if not threads_useful():
            return 0
        self._start(self.size)
        # Each thread holds its job until all have one, so every thread connects once.
        everyone = threading.Barrier(self.size)

        def connect(_item) -> bool:
            try:
                db_connection.ensure_connection()
            except BaseException:
                everyone.abort()  # the others stop waiting for this one
                raise
            everyone.wait(timeout=30)
            return True

        try:
            return sum(self.map(connect, range(self.size)))
        except (db.DatabaseError, threading.BrokenBarrierError):
            logger.warning("Lanes %s: threads started, connections left for later", self.name,
                           exc_info=True)  # fmt: skip
            return 0

    def stop(self) -> None:
        """End the threads (each closes its database connections); the next `map` starts new
        ones. For tests and benches that must leave no connection open."""
        with self._lock:
            threads, self._threads = self._threads, []
            for _thread in threads:
                self._jobs.put(None)
        for thread in threads:
            thread.join()

    @staticmethod
    def _serve(jobs: queue.SimpleQueue) -> None:
        last_job_ended = 0.0
        while True:
            job = jobs.get()
            if job is None:
                db.connections.close_all()
                return
            future, fn, item = job
            if not future.set_running_or_notify_cancel():
                continue
            _connections_refresh(idle=time.monotonic() - last_job_ended)
            try:
                result = fn(item)
            except BaseException as err:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(err)
            else:
                future.set_result(result)
            finally:
                last_job_ended = time.monotonic()


#: A lane idle for longer than this checks its connection (CONN_HEALTH_CHECKS) before use.
IDLE_HEALTH_CHECK = 5.0


def _connections_refresh(*, idle: float) -> None:
    """Before a job, as Django does before a request: close this thread's connections that
    failed or outlived CONN_MAX_AGE. The health check (one `SELECT 1`) is kept for a lane
    that was idle a while; right after a job that ended well the connection is known good."""
    for connection in db.connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None and idle < IDLE_HEALTH_CHECK:
            connection.health_check_done = True


_pools: dict[str, Lanes] = {}
_pools_lock = threading.Lock()
_declared: dict[str, Callable[[], int]] = {}


def lanes(name: str, size: int) -> Lanes:
    """The process's pool `name`, grown to `size` threads if it was smaller."""
    with _pools_lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = Lanes(name, size)
        pool.size = max(1, size)
        return pool


def lanes_declare(name: str, size: Callable[[], int]) -> Callable[[], Lanes]:
    """Declare the pool `name`, of `size()` threads (read from settings when used), and return
    a function giving it. Task workers warm declared pools when they start (`lanes_warm_all`)."""
    _declared[name] = size

    def pool() -> Lanes:
        return lanes(name, size())

    return pool


def lanes_warm_all() -> int:
    """Start every declared pool's threads with their database connections open (a task
    worker starting). Returns how many threads connected."""
    return sum(lanes(name, size()).warm() for name, size in list(_declared.items()))


def lanes_stop_all() -> None:
    """Stop every pool's threads (see `Lanes.stop`)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.stop()
