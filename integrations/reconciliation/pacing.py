"""Reading at low priority in the shared request-rate budget.

Transfers (an invoice just finalized) take their slots with `acquire()`, which waits its turn.
A reconciliation must never make them wait long, so its reads go through `LowPriorityLimiter`:

1. it paces itself to `share` of the budget (default a quarter: 2.5 requests/s of 10/s), in this
   process, so it can never fill a window by itself;
2. it then takes a slot of the shared budget only when one is free *now* (`reserve()`), and
   otherwise steps back and tries again a little later, rather than queueing a slot in the
   future ahead of interactive work.

So interactive work always finds at least (1 - share) of every window, and most of the time
the whole of it. Reading 10,000 invoices costs a handful of paged calls (5,000 rows a page),
so pacing costs the reconciliation little. Figures: bench/reconcile.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from integrations.ratelimit import RateLimiter, SlidingWindowRateLimiter

#: Part of the budget a reconciliation may use at most.
DEFAULT_SHARE = 0.25
#: Seconds to step back when the shared budget has no free slot now.
BACKOFF = 0.1


class LowPriorityLimiter:
    """A limiter for background reads over the shared one (see the module docstring)."""

    def __init__(
        self,
        shared: RateLimiter,
        *,
        rate: float,
        share: float = DEFAULT_SHARE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self.own = SlidingWindowRateLimiter(max(rate * share, 0.1), clock=clock, sleep=sleep)
        self.sleep = sleep
        self.waited = 0.0  # seconds spent stepping back for other work (for the figures)
        self.calls = 0

    def acquire(self, key: str) -> None:
        self.own.acquire(key)
        while (wait := self.shared.reserve(key)) > 0:
            pause = max(wait, BACKOFF)
            self.waited += pause
            self.sleep(pause)
        self.calls += 1

    def reserve(self, key: str) -> float:
        wait = self.own.reserve(key)
        return wait if wait > 0 else self.shared.reserve(key)


def low_priority_limiter(system: str = "poweroffice", rate: float | None = None):
    """The low-priority limiter over the process-wide budget of `system`."""
    from integrations.ratelimit import get_rate_limiter

    rate = rate or settings.POWEROFFICE_RATE_LIMIT
    share = getattr(settings, "RECONCILIATION_RATE_SHARE", DEFAULT_SHARE)
    return LowPriorityLimiter(get_rate_limiter(system, rate), rate=rate, share=share)
