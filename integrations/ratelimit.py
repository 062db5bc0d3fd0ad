"""Request-rate budgets shared by every client and thread that uses the same key.

PowerOffice Go allows N requests per second per subscription key, across all client keys. A
`RateLimiter` hands out slots with `acquire(key)`, blocking until one is free, so the budget is
never exceeded. This module has the in-process implementation (threads of one process); a
cross-process backend (database or cache) can implement the same two methods later and be
returned by `get_rate_limiter()`.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until a request for `key` may be sent, then count it."""

    def reserve(self, key: str) -> float:
        """Count a request now and return 0.0, or return the seconds to wait (nothing counted)."""


class SlidingWindowRateLimiter:
    """At most `rate` requests per second per key, in *any* one-second window.

    A sliding log rather than a token bucket: a bucket lets a full burst follow a full second
    and so briefly doubles the rate, which PowerOffice would answer with 429. A fractional rate
    (2.5/s) becomes whole requests over a shorter window (2 per 0.8 s).
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.window = self.capacity / rate
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


_limiters: dict[tuple[str, float], RateLimiter] = {}
_registry_lock = threading.Lock()


def get_rate_limiter(name: str, rate: float) -> RateLimiter:
    """The process-wide limiter for one external system and rate (created on first use)."""
    with _registry_lock:
        limiter = _limiters.get((name, rate))
        if limiter is None:
            limiter = _limiters[(name, rate)] = SlidingWindowRateLimiter(rate)
        return limiter


def reset_rate_limiters() -> None:
    """Forget every budget (tests)."""
    with _registry_lock:
        _limiters.clear()


def budget_key(system: str, secret: str) -> str:
    """A limiter key for a secret (a subscription key) that does not keep the secret itself."""
    return f"{system}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
