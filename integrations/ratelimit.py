"""Request-rate budgets shared by every client, thread, process and machine that uses one key.

PowerOffice Go allows N requests per second per subscription key, across all client keys. A
`RateLimiter` hands out slots with `acquire(key)`, blocking until one is free, so the budget is
never exceeded. Two backends, chosen by `INTEGRATIONS_RATE_LIMIT_BACKEND`:

- "database" (the default): `DatabaseRateLimiter`, one `RateLimitSlot` row per key in the shared
  database. Every process and machine that uses the database shares the budget.
- "local": `SlidingWindowRateLimiter`, the threads of one process only (one machine, one
  worker process, tests).

Safety margin: the server counts requests in one-second windows as they *arrive*. Network
jitter moves arrivals closer together than they were sent, so a client that spends exactly the
budget collects 429s. Both backends stretch the window by `INTEGRATIONS_RATE_LIMIT_MARGIN`
(default 0.05: at most N requests per 1.05 s, 95 % of the limit), which absorbs up to 50 ms of
jitter between two requests one window apart.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 0.05


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until a request for `key` may be sent, then count it."""

    def reserve(self, key: str) -> float:
        """Count a request now and return 0.0, or return the seconds to wait (nothing counted)."""


class SlidingWindowRateLimiter:
    """At most `capacity` requests per key in any window of `window` seconds (one process).

    A sliding log rather than a token bucket: a bucket lets a full burst follow a full second
    and so briefly doubles the rate, which PowerOffice would answer with 429. The window is never
    shorter than a second (the server's window), so a fractional rate such as 9.5/s is 9 per
    second rather than 9 per 0.95 s, which would put up to 18 requests into one server second.
    A rate below 1/s is one request per 1/rate seconds. `margin` stretches the window.
    """

    def __init__(
        self,
        rate: float,
        *,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.window = max(1.0, self.capacity / rate) * (1.0 + margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}

    def reserve(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) < self.capacity:
                sent.append(now)
                return 0.0
            return max(sent[0] + self.window - now, 1e-6)

    def acquire(self, key: str) -> None:
        while (wait := self.reserve(key)) > 0:
            self._sleep(wait)


class DatabaseRateLimiter:
    """A budget per key shared through the database (GCRA: one request per `interval`).

    Each key has a `RateLimitSlot` row holding the next free send time (epoch seconds).
    `acquire` takes that slot and moves it on by `interval` in ONE atomic statement
    (UPDATE … RETURNING, on PostgreSQL and SQLite alike), then sleeps until the slot. The row
    is locked only for that statement, and the statement runs on a private connection of this
    thread in autocommit, so an exporter's open transaction never holds the budget hostage.
    Requests are spaced evenly, with no burst: in any window of 1 s + margin at most `rate`.

    Clocks: slots are wall-clock times, so every machine sharing a database must keep its
    clock synchronised (NTP); skew between machines eats into the safety margin.
    """

    def __init__(
        self,
        rate: float,
        *,
        margin: float = DEFAULT_MARGIN,
        using: str = "default",
        connection_factory: Callable[[], object] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self.using = using
        self._connection_factory = connection_factory or self._connection
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()

    def _connection(self):
        """PostgreSQL: this thread's own connection (same settings as `using`), in autocommit.
        SQLite: the thread's usual connection. SQLite has one writer at a time and an
        exporter's transaction already holds the write lock, so a second connection of the
        same thread would wait for it forever; inside that transaction the slot update commits
        with it, and other processes, which wait for the lock anyway, then see it."""
        shared = connections[self.using]
        if shared.vendor == "sqlite":
            return shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = connections.create_connection(self.using)
        return connection

    def _table(self) -> str:
        from .models import RateLimitSlot

        return RateLimitSlot._meta.db_table

    def _take(self, key: str, now: float) -> float:
        """Claim the next free slot of `key` (creating the row on first use); returns it."""
        connection = self._connection_factory()
        table, column, at = (
            connection.ops.quote_name(name)
            for name in (self._table(), "budget_key", "next_at")
        )
        update = (
            f"UPDATE {table} SET {at} = CASE WHEN {at} > %s THEN {at} ELSE %s END + %s"  # noqa: S608
            f" WHERE {column} = %s RETURNING {at}"
        )
        insert = (
            f"INSERT INTO {table} ({column}, {at}) VALUES (%s, %s)"  # noqa: S608
            f" ON CONFLICT ({column}) DO NOTHING RETURNING {at}"
        )
        with connection.cursor() as cursor:
            cursor.execute(update, [now, now, self.interval, key])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(insert, [key, now + self.interval])
                row = cursor.fetchone()
        if row is None:  # another process created the row between the two statements
            return self._take(key, now)
        return float(row[0]) - self.interval

    def _take_with_reconnect(self, key: str, now: float) -> float:
        try:
            return self._take(key, now)
        except DatabaseError:
            connection = getattr(self._local, "connection", None)
            if connection is None:
                raise
            logger.warning("Rate-limit connection failed; reconnecting once", exc_info=True)
            connection.close()
            self._local.connection = None
            return self._take(key, now)

    def acquire(self, key: str) -> None:
        now = self._clock()
        wait = self._take_with_reconnect(key, now) - now
        if wait > 0:
            self._sleep(wait)

    def reserve(self, key: str) -> float:
        """Take the slot if it is free now; otherwise return the wait (nothing taken)."""
        from .models import RateLimitSlot

        now = self._clock()
        slot = RateLimitSlot.objects.using(self.using).filter(budget_key=key).first()
        if slot is not None and slot.next_at > now:
            return max(slot.next_at - now, 1e-6)
        self.acquire(key)
        return 0.0


_limiters: dict[tuple[str, float], RateLimiter] = {}
_registry_lock = threading.Lock()


def build_rate_limiter(rate: float) -> RateLimiter:
    """A limiter of the configured backend and safety margin."""
    backend = getattr(settings, "INTEGRATIONS_RATE_LIMIT_BACKEND", "database")
    margin = getattr(settings, "INTEGRATIONS_RATE_LIMIT_MARGIN", DEFAULT_MARGIN)
    if backend == "local":
        return SlidingWindowRateLimiter(rate, margin=margin)
    if backend == "database":
        return DatabaseRateLimiter(rate, margin=margin)
    raise ValueError(f"INTEGRATIONS_RATE_LIMIT_BACKEND {backend!r} is not 'database' or 'local'")


def get_rate_limiter(name: str, rate: float) -> RateLimiter:
    """The process-wide limiter for one external system and rate (created on first use)."""
    with _registry_lock:
        limiter = _limiters.get((name, rate))
        if limiter is None:
            limiter = _limiters[(name, rate)] = build_rate_limiter(rate)
        return limiter


def reset_rate_limiters() -> None:
    """Forget every budget (tests; after changing the backend setting)."""
    with _registry_lock:
        _limiters.clear()


def budget_key(system: str, secret: str) -> str:
    """A limiter key for a secret (a subscription key) that does not keep the secret itself."""
    return f"{system}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
