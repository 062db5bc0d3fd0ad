"""Request-rate budgets shared by every client, thread, process and machine that uses one key.

PowerOffice Go allows N requests per second per subscription key, across all client keys. A
`RateLimiter` hands out slots with `acquire(key)`, blocking until one is free, so the budget is
never exceeded. Backends, chosen by `INTEGRATIONS_RATE_LIMIT_BACKEND`:

- "auto" (the default): "cache" when the default cache is shared and atomic (Redis, Memcached,
  a file cache), "database" when it is Django's database cache, whose `add` costs several
  statements and whose culling may delete send times still to come.
- "cache": `CacheRateLimiter`, evenly spaced send times ("ticks") claimed one by one with an
  atomic `add` in the default cache (one round trip to Redis or Memcached per request).
- "database": `DatabaseRateLimiter`, the same ticks claimed in the `RateLimitTick` table with
  one `INSERT … ON CONFLICT DO NOTHING` on the worker's own connection (autocommit).
- "local": `SlidingWindowRateLimiter`, the threads of one process only (one machine, one
  worker process, tests).

The two tick backends share one algorithm (`TickRateLimiter`) and differ only in their
`TickStore`. Neither opens a database session of its own nor holds a lock while a request
waits or travels.

Safety margin: the server counts requests in one-second windows as they *arrive*. Network
jitter moves arrivals closer together than they were sent, so a client that spends exactly the
budget collects 429s. Every backend stretches the window by `INTEGRATIONS_RATE_LIMIT_MARGIN`.
The tick backends send evenly spaced (so the server's windows never see a burst) and check,
when the request leaves, that it leaves on time; their default margin is `TICK_MARGIN` (0.025:
97.6 % of the limit), which absorbs 25 ms of jitter between a request and the one `capacity`
requests later. The local backend lets bursts through; its default is `DEFAULT_MARGIN` (0.05:
at most N requests per 1.05 s), which absorbs 50 ms between two requests one window apart.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 0.05
TICK_MARGIN = 0.025
BACKENDS = ("auto", "cache", "database", "local")


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

    def reserve(self, key: str, *, now: float | None = None) -> float:
        """Count a request at `now` (default: the clock) and return 0.0, or return the seconds
        to wait. A server passes each request's arrival, which may come slightly out of order
        (the sandbox)."""
        with self._lock:
            now = self._clock() if now is None else now
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            inside = [t for t in sent if t > now - self.window] if sent else []
            if len(inside) < self.capacity:
                bisect.insort(sent, now)
                return 0.0
            return max(inside[0] + self.window - now, 1e-6)

    def acquire(self, key: str) -> None:
        while (wait := self.reserve(key)) > 0:
            self._sleep(wait)


class TickStore(Protocol):
    """Where claimed ticks are kept: shared by every process that shares the budget."""

    def claim(self, key: str, tick: int, *, at: float, now: float) -> bool:
        """Take tick number `tick` of `key` (send time `at`, epoch seconds) if nobody has;
        True when this caller won it. Exactly one caller may win a tick."""


class CacheTickStore:
    """Ticks as keys of a Django cache, claimed with `add` (atomic in Redis, Memcached and local
    memory). Each key expires a minute after its tick. Django's database cache works too but
    is the wrong choice (see `DatabaseTickStore`): several statements per `add`, and culling a
    full table deletes keys in key order, ticks still to come included."""

    def __init__(self, cache_alias: str = "default") -> None:
        self.cache_alias = cache_alias

    def claim(self, key: str, tick: int, *, at: float, now: float) -> bool:
        from django.core.cache import caches

        timeout = max(at - now, 0) + 60
        return caches[self.cache_alias].add(f"ratelimit:{key}:{tick}", 1, timeout=timeout)


class DatabaseTickStore:
    """Ticks as rows of `RateLimitTick`, unique per (budget, tick).

    A claim is one statement on the calling thread's own connection of `using` (the one its
    ORM queries use): `claim_first` inserts the first free tick from the one asked for on
    (`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`), `claim` exactly that tick; in
    autocommit the row is committed at once and no lock outlives the statement. No connection
    of its own, no row locked and read back. Every `clean_every` claims a process deletes the
    ticks that left more than `keep` seconds ago (one DELETE), so the table stays a few
    hundred rows per budget.

    Inside an atomic block the claim still works, and the row commits or rolls back with the
    block; on PostgreSQL another process claiming the same tick waits for that transaction to
    end. Exports therefore hold no transaction across an HTTP request (the engine runs the
    connector outside its own transactions), and the clean-up is left to a claim made in
    autocommit so it never holds row locks in a caller's transaction.
    """

    def __init__(self, using: str = "default", *, keep: float = 60.0, clean_every: int = 500):
        self.using = using
        self.keep = keep
        self.clean_every = clean_every
        self._lock = threading.Lock()
        self._claims = 0
        self.cleaned = 0  # clean-ups run by this process (figures, tests)

    def _table(self, connection) -> tuple[str, ...]:
        from .models import RateLimitTick

        return tuple(
            connection.ops.quote_name(name)
            for name in (RateLimitTick._meta.db_table, "budget_key", "tick", "at")
        )

    def claim(self, key: str, tick: int, *, at: float, now: float) -> bool:
        connection = connections[self.using]
        table, key_column, tick_column, at_column = self._table(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, {tick_column}, {at_column})"  # noqa: S608
                f" VALUES (%s, %s, %s) ON CONFLICT ({key_column}, {tick_column}) DO NOTHING",
                [key, tick, at],
            )
            won = cursor.rowcount == 1
        self._count_claim(connection, now)
        return won

    def claim_first(self, key: str, tick: int, *, interval: float, now: float,
                    span: int = 64) -> int | None:  # fmt: skip
        """Take the first free tick of `key` among `tick` … `tick + span - 1` in one
        statement and return its number; None when none was free or a concurrent claim took
        the one chosen (try again). Saves one statement per tick other processes took first,
        which `claim` would spend finding it."""
        connection = connections[self.using]
        table, key_column, tick_column, at_column = self._table(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH RECURSIVE candidate(n) AS ("  # noqa: S608 - names quoted above
                " SELECT %s UNION ALL SELECT n + 1 FROM candidate WHERE n < %s)"
                f" INSERT INTO {table} ({key_column}, {tick_column}, {at_column})"
                " SELECT %s, n, n * %s FROM candidate WHERE NOT EXISTS ("
                f"  SELECT 1 FROM {table} taken"
                f"  WHERE taken.{key_column} = %s AND taken.{tick_column} = candidate.n)"
                " ORDER BY n LIMIT 1"
                f" ON CONFLICT ({key_column}, {tick_column}) DO NOTHING RETURNING {tick_column}",
                [tick, tick + span - 1, key, interval, key],
            )
            row = cursor.fetchone()
        self._count_claim(connection, now)
        return None if row is None else int(row[0])

    def _count_claim(self, connection, now: float) -> None:
        with self._lock:
            self._claims += 1
            due = self._claims >= self.clean_every and not connection.in_atomic_block
            if due:
                self._claims = 0
        if due:
            self.clean(now)

    def clean(self, now: float) -> int:
        """Delete the ticks of every budget that left more than `keep` seconds before `now`."""
        with self._lock:
            self.cleaned += 1
        connection = connections[self.using]
        table, _key_column, _tick_column, at_column = self._table(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {at_column} < %s", [now - self.keep]  # noqa: S608
            )
            return cursor.rowcount


class TickRateLimiter:
    """Evenly spaced send times ("ticks"), one request per tick, claimed in a shared `TickStore`.

    Time is cut into ticks of `interval` = window / capacity seconds (0.1025 s at 10/s with the
    default margin), counted from the epoch, so every process and machine sees the same ticks.
    A sender claims the first free tick at or after now in the store, which only one caller can
    win, sleeps until the tick and sends. Any `capacity` consecutive ticks span a full window,
    so no window of the server sees more than `capacity` requests.

    Leaving late breaks the spacing: before returning, `acquire` reads the clock again; a
    sender woken more than `tolerance` after its tick (a busy CPU) lets that tick go unused and
    claims another (a claim picks ticks at least `lead`, what claims take, ahead, so the claim
    itself never makes its sender late), so every request leaves within `tolerance` of its
    tick, which is what the margin accounts for. Within a process, threads take distinct
    ticks from a local hint, so they do not race each other for the same tick; across
    processes a lost race costs one more claim.

    Clocks: ticks are wall-clock times, so machines sharing a budget keep their clocks in step
    (NTP); skew between machines eats into the margin.
    """

    def __init__(
        self,
        rate: float,
        *,
        store: TickStore,
        margin: float = TICK_MARGIN,
        tolerance: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.store = store
        self.capacity, self.window = sliding_window(rate, margin)
        self.interval = self.window / self.capacity
        self.tolerance = min(0.005, self.interval / 4) if tolerance is None else tolerance
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hint: dict[str, int] = {}
        self.missed = 0  # ticks left unused because the sender woke too late (figures)
        self._claim_seconds, self._claims_timed = 0.0, 0
        self.lead = 0.0  # seconds ahead of now that a claimed tick starts at the earliest

    def _candidate(self, key: str, now: float) -> int:
        """The first tick not yet taken by this process that one may still leave on once the
        claim itself is done (`lead`: what claims have been taking)."""
        earliest = math.ceil((now + self.lead - self.tolerance) / self.interval)
        with self._lock:
            tick = max(earliest, self._hint.get(key, earliest))
            self._hint[key] = tick + 1
            return tick

    def _claim(self, key: str, *, latest: float | None = None) -> int | None:
        """Claim the first free tick (None if none starts before `latest`)."""
        while True:
            now = self._clock()
            tick = self._candidate(key, now)
            at = tick * self.interval
            if latest is not None and at > latest:
                with self._lock:  # not taken: give it back to this process's threads
                    self._hint[key] = min(self._hint[key], tick)
                return None
            first = getattr(self.store, "claim_first", None)
            if first is not None and latest is None:  # any free tick from here on will do
                won = first(key, tick, interval=self.interval, now=now)
            else:
                won = tick if self.store.claim(key, tick, at=at, now=now) else None
            self._claim_took(self._clock() - now)
            if won is not None:
                with self._lock:
                    self._hint[key] = max(self._hint[key], won + 1)
                return won

    def _claim_took(self, seconds: float) -> None:
        """Learn how long a claim takes (a moving average, doubled for safety, at most one
        tick), so a sender picks a tick it can still make instead of one that passes while
        its claim is on the way (which would cost it that tick and another claim)."""
        with self._lock:
            if self._claims_timed == 0:
                self._claim_seconds = max(0.0, seconds)
            else:
                self._claim_seconds += (max(0.0, seconds) - self._claim_seconds) / 8
            self._claims_timed += 1
            self.lead = min(self.interval, 2 * self._claim_seconds)

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


class CacheRateLimiter(TickRateLimiter):
    """Ticks claimed with `add` in a Django cache (`CacheTickStore`)."""

    def __init__(self, rate: float, *, cache_alias: str = "default", **kwargs) -> None:
        super().__init__(rate, store=CacheTickStore(cache_alias), **kwargs)


class DatabaseRateLimiter(TickRateLimiter):
    """Ticks claimed as rows of `RateLimitTick` (`DatabaseTickStore`), one statement each."""

    def __init__(
        self,
        rate: float,
        *,
        using: str = "default",
        keep: float = 60.0,
        clean_every: int = 500,
        **kwargs,
    ) -> None:
        store = DatabaseTickStore(using, keep=keep, clean_every=clean_every)
        super().__init__(rate, store=store, **kwargs)


def default_cache_is_database(cache_alias: str = "default") -> bool:
    """Whether a cache is Django's database cache (read from settings, nothing connected)."""
    from django.core.cache.backends.db import DatabaseCache
    from django.utils.module_loading import import_string

    path = settings.CACHES.get(cache_alias, {}).get("BACKEND", "")
    try:
        return issubclass(import_string(path), DatabaseCache)
    except ImportError:
        return False


def configured_backend() -> str:
    """The backend `INTEGRATIONS_RATE_LIMIT_BACKEND` stands for ("auto" resolved)."""
    backend = getattr(settings, "INTEGRATIONS_RATE_LIMIT_BACKEND", "auto")
    if backend == "auto":
        return "database" if default_cache_is_database() else "cache"
    return backend


_limiters: dict[tuple[str, float], RateLimiter] = {}
_registry_lock = threading.Lock()


def build_rate_limiter(rate: float) -> RateLimiter:
    """A limiter of the configured backend and safety margin."""
    backend = configured_backend()
    margin = getattr(settings, "INTEGRATIONS_RATE_LIMIT_MARGIN", None)
    if backend == "cache":
        return CacheRateLimiter(rate, margin=TICK_MARGIN if margin is None else margin)
    if backend == "database":
        return DatabaseRateLimiter(rate, margin=TICK_MARGIN if margin is None else margin)
    if backend == "local":
        return SlidingWindowRateLimiter(rate, margin=DEFAULT_MARGIN if margin is None else margin)
    raise ValueError(
        f"INTEGRATIONS_RATE_LIMIT_BACKEND {backend!r} is not one of "
        + ", ".join(repr(name) for name in BACKENDS)
    )


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
