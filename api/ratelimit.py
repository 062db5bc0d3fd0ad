"""A fixed-window request counter per token in the Django cache (settings.API_RATE_LIMIT per
minute). With several web processes the cache must be shared (database, Redis, Memcached) for
the limit to hold across them; the default local-memory cache counts per process."""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from .problems import Problem

WINDOW_SECONDS = 60


def rate_limit_check(*, token_id: int, now: float | None = None) -> None:
    """Count one request of the token; raise a 429 problem with Retry-After over the limit."""
    limit = settings.API_RATE_LIMIT
    if not limit:
        return
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"api:rate:{token_id}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        raise Problem(
            status=429,
            title=_("Too many requests."),
            detail=_("This token may send %(limit)s requests per minute.") % {"limit": limit},
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )
