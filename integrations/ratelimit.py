"""Request-rate budgets shared by every client, thread, process and machine that uses one key.

PowerOffice Go allows N requests per second per subscription key, across all client keys. A
`RateLimiter` hands out slots with `acquire(key)`, blocking until one is free, so the budget is
never exceeded. Three backends, chosen by `INTEGRATIONS_RATE_LIMIT_BACKEND`:

- "cache" (the default): `CacheRateLimiter`, evenly spaced send times claimed one by one with
  an atomic `add` in the configured Django cache (shared by every process and machine using
  it); no database session and no lock is held while a request waits or travels.
- "database": `DatabaseRateLimiter`, one `RateLimitSlot` row per key in the shared
  database holding the key's last N send times. Every process and machine that uses the
  database shares the budget.
- "local": `SlidingWindowRateLimiter`, the threads of one process only (one machine, one
  worker process, tests).

Safety margin: the server counts requests in one-second windows as they *arrive*. Network
jitter moves arrivals closer together than they were sent, so a client that spends exactly the
budget collects 429s. Both backends stretch the window by `INTEGRATIONS_RATE_LIMIT_MARGIN`
(default 0.05: at most N requests per 1.05 s, 95 % of the limit), which absorbs up to 50 ms of
jitter between two requests one window apart. The cache backend sends evenly spaced (so the
server's windows never see a burst) and checks, when the request leaves, that it leaves on
time; its default margin is `CACHE_MARGIN` (0.025: 97.6 % of the limit), which absorbs 25 ms
of jitter between a request and the one `capacity` requests later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 0.05
CACHE_MARGIN = 0.025


def sliding_window(rate: float, margin: float) -> tuple[int, float]:
    """(requests allowed, window in seconds) for `rate` per second: at most floor(rate) requests
    in any window of one second, or one request per 1/rate seconds below 1/s, stretched by
    `margin` against clock jitter between us and the server."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    capacity = max(1, math.floor(rate))
    return capacity, max(1.0, capacity / rate) * (1.0 + margin)


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
        self.rate = rate
        self.capacity, self.window = sliding_window(rate, margin)
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
    """A sliding log per key shared through the database: at most `capacity` sends in any
    window of `window` seconds (the same rule as `SlidingWindowRateLimiter`, across processes).

    Each key has a `RateLimitSlot` row holding its last `capacity` send times (epoch seconds,
    some possibly in the near future: reserved). `acquire` locks the row, takes the send time
    max(now, the capacity-th last send + window), stores it and commits, then sleeps until
    it. Bursts up to the capacity pass at once, so a worker whose requests come in pairs is
    not slowed down the way an evenly spaced schedule would slow it.

    Connections: on PostgreSQL the row is locked (SELECT … FOR UPDATE) on a private
    connection of this thread for one short transaction, so an exporter's open transaction
    never holds the budget hostage. SQLite has one writer at a time and the exporter's
    transaction already holds the write lock, so the thread's usual connection is used: the
    update commits with that transaction, and other processes, waiting for the lock anyway,
    then see it.

    Clocks: send times are wall-clock times, so every machine sharing a database must keep
    its clock synchronised (NTP); skew between machines eats into the safety margin.
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
        self.rate = rate
        self.capacity, self.window = sliding_window(rate, margin)
        self.using = using
        self._connection_factory = connection_factory or self._connection
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._opened: list = []
        self._opened_lock = threading.Lock()

    def _connection(self):
        shared = connections[self.using]
        if shared.vendor == "sqlite":
            return shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = connections.create_connection(self.using)
            connection.inc_thread_sharing()  # close() may come from another thread
            with self._opened_lock:
                self._opened.append(connection)
        return connection

    def close(self) -> None:
        """Close every private connection this limiter opened (shutdown, tests, benches)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()

    def _next_send(self, sends: list[float], now: float) -> float:
        recent = sorted(t for t in sends if t > now - self.window)
        if len(recent) < self.capacity:
            return now
        return max(now, recent[-self.capacity] + self.window)

    def _take(self, key: str, now: float, *, only_if_free: bool = False) -> float:
        """Reserve the next send time of `key` and return it (with `only_if_free`, reserve
        only when that is now)."""
        connection = self._connection_factory()
        if connection.vendor == "sqlite":
            with transaction.atomic(using=connection.alias):
                return self._take_locked(connection, key, now, only_if_free)
        connection.ensure_connection()
        in_atomic = connection.in_atomic_block
        if not in_atomic:  # the private connection: one short transaction
            connection.set_autocommit(False)
        try:
            at = self._take_locked(connection, key, now, only_if_free)
            if not in_atomic:
                connection.commit()
            return at
        except BaseException:
            if not in_atomic:
                connection.rollback()
            raise
        finally:
            if not in_atomic:
                connection.set_autocommit(True)

    def _take_locked(self, connection, key: str, now: float, only_if_free: bool) -> float:
        table, column, sends_column = (
            connection.ops.quote_name(name) for name in (self._table(), "budget_key", "sends")
        )
        lock = "" if connection.vendor == "sqlite" else " FOR UPDATE"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({column}, {sends_column}) VALUES (%s, '[]')"  # noqa: S608
                f" ON CONFLICT ({column}) DO NOTHING",
                [key],
            )
            cursor.execute(
                f"SELECT {sends_column} FROM {table} WHERE {column} = %s{lock}", [key]  # noqa: S608
            )
            sends = json.loads(cursor.fetchone()[0] or "[]")
            at = self._next_send(sends, now)
            if only_if_free and at > now:
                return at
            kept = sorted([t for t in sends if t > now - self.window] + [at])[-self.capacity:]
            cursor.execute(
                f"UPDATE {table} SET {sends_column} = %s WHERE {column} = %s",  # noqa: S608
                [json.dumps(kept), key],
            )
        return at

    def _table(self) -> str:
        from .models import RateLimitSlot

        return RateLimitSlot._meta.db_table

    def _take_retrying(self, key: str, now: float, only_if_free: bool = False) -> float:
        try:
            return self._take(key, now, only_if_free=only_if_free)
        except DatabaseError:
            connection = getattr(self._local, "connection", None)
            if connection is None:
                raise
            logger.warning("Rate-limit connection failed; reconnecting once", exc_info=True)
            connection.close()
            self._local.connection = None
            return self._take(key, now, only_if_free=only_if_free)

    def acquire(self, key: str) -> None:
        now = self._clock()
        wait = self._take_retrying(key, now) - now
        if wait > 0:
            self._sleep(wait)

    def reserve(self, key: str) -> float:
        """Take a send time if one is free now (0.0); otherwise the wait (nothing taken)."""
        now = self._clock()
        at = self._take_retrying(key, now, only_if_free=True)
        return 0.0 if at <= now else max(at - now, 1e-6)


class CacheRateLimiter:
    """Evenly spaced send times ("ticks"), one request per tick, shared through the cache.

    Time is cut into ticks of `interval` = window / capacity seconds (0.1025 s at 10/s with the
    default margin), counted from the epoch, so every process and machine sees the same ticks.
    A sender claims the first free tick at or after now with `cache.add(key:tick)`, which only
    one caller can win (atomic in Redis, Memcached and local memory; a primary-key insert in
    the database cache), sleeps until the tick and sends. Any `capacity` consecutive ticks span
    a full window, so no window of the server sees more than `capacity` requests.

    Leaving late breaks the spacing: before returning, `acquire` reads the clock again; a
    sender woken more than `tolerance` after its tick (a busy CPU) lets that tick go unused and
    claims another, so every request leaves within `tolerance` of its tick, which is what the
    margin accounts for. Within a process, threads take distinct ticks from a local hint, so
    they do not race each other for the same cache key; across processes a lost race costs one
    more `add`.

    Clocks: ticks are wall-clock times, so machines sharing a cache keep their clocks in step
    (NTP); skew between machines eats into the margin.
    """

    def __init__(
        self,
        rate: float,
        *,
        margin: float = CACHE_MARGIN,
        cache_alias: str = "default",
        tolerance: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity, self.window = sliding_window(rate, margin)
        self.interval = self.window / self.capacity
        self.tolerance = min(0.005, self.interval / 4) if tolerance is None else tolerance
        self.cache_alias = cache_alias
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hint: dict[str, int] = {}
        self.missed = 0  # ticks left unused because the sender woke too late (figures)

    def _cache(self):
        from django.core.cache import caches

        return caches[self.cache_alias]

    def _candidate(self, key: str, now: float) -> int:
        """The first tick not yet taken by this process that one may still leave on."""
        earliest = math.ceil((now - self.tolerance) / self.interval)
        with self._lock:
            tick = max(earliest, self._hint.get(key, earliest))
            self._hint[key] = tick + 1
            return tick

    def _claim(self, key: str, *, latest: float | None = None) -> int | None:
        """Claim the first free tick (None if none starts before `latest`)."""
        cache = self._cache()
        while True:
            now = self._clock()
            tick = self._candidate(key, now)
            at = tick * self.interval
            if latest is not None and at > latest:
                with self._lock:  # not taken: give it back to this process's threads
                    self._hint[key] = min(self._hint[key], tick)
                return None
            if cache.add(f"ratelimit:{key}:{tick}", 1, timeout=max(at - now, 0) + 60):
                return tick

    def acquire(self, key: str) -> None:
        while True:
            at = self._claim(key) * self.interval
            wait = at - self._clock()
            if wait > 0:
                self._sleep(wait)
            if self._clock() - at <= self.tolerance:
                return  # leaving on time
            self.missed += 1
            logger.debug("Rate limit: woke %.3f s after tick; claiming another", self._clock() - at)

    def reserve(self, key: str) -> float:
        """Claim a tick that starts now (0.0), or return the seconds until the next one."""
        now = self._clock()
        tick = self._claim(key, latest=now + self.tolerance)
        if tick is not None:
            return 0.0
        with self._lock:
            return max(self._hint[key] * self.interval - now, 1e-6)


_limiters: dict[tuple[str, float], RateLimiter] = {}
_registry_lock = threading.Lock()


def build_rate_limiter(rate: float) -> RateLimiter:
    """A limiter of the configured backend and safety margin."""
    backend = getattr(settings, "INTEGRATIONS_RATE_LIMIT_BACKEND", "cache")
    margin = getattr(settings, "INTEGRATIONS_RATE_LIMIT_MARGIN", None)
    if backend == "cache":
        return CacheRateLimiter(rate, margin=CACHE_MARGIN if margin is None else margin)
    margin = DEFAULT_MARGIN if margin is None else margin
    if backend == "local":
        return SlidingWindowRateLimiter(rate, margin=margin)
    if backend == "database":
        return DatabaseRateLimiter(rate, margin=margin)
    raise ValueError(
        f"INTEGRATIONS_RATE_LIMIT_BACKEND {backend!r} is not 'cache', 'database' or 'local'"
    )


def get_rate_limiter(name: str, rate: float) -> RateLimiter:
    """The process-wide limiter for one external system and rate (created on first use)."""
    with _registry_lock:
        limiter = _limiters.get((name, rate))
        if limiter is None:
            limiter = _limiters[(name, rate)] = build_rate_limiter(rate)
        return limiter


def reset_rate_limiters() -> None:
    """Forget every budget (tests; after changing the backend setting), closing what the
    limiters hold open."""
    with _registry_lock:
        limiters = list(_limiters.values())
        _limiters.clear()
    for limiter in limiters:
        close = getattr(limiter, "close", None)
        if close is not None:
            close()


def budget_key(system: str, secret: str) -> str:
    """A limiter key for a secret (a subscription key) that does not keep the secret itself."""
    return f"{system}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
