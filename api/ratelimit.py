"""Request limits of the API: per token (settings.API_RATE_LIMIT per minute) and, for requests
with a wrong token, per address (settings.API_BAD_TOKEN_LIMIT per minute).

A sliding-window counter: the count of the current minute plus the previous minute's count
weighted by how much of it still lies within the last 60 seconds. Unlike a fixed window, a full
burst at the end of one minute is not followed by another at the start of the next (no 2x burst
at the edge). Counts live in `RequestCount` rows and are raised with one atomic
`UPDATE … SET count = count + 1`, so every web process and machine sharing the database counts
the same requests: parallel requests can never all slip through between a read and a write.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .models import RequestCount
from .problems import Problem

WINDOW_SECONDS = 60


def request_count_hit(*, key: str, now: float | None = None) -> float:
    """Count one request for `key` now; return the requests in the sliding last minute."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    with transaction.atomic():
        updated = RequestCount.objects.filter(key=key, window=window).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RequestCount.objects.create(key=key, window=window, count=1)
                RequestCount.objects.filter(key=key, window__lt=window - 1).delete()
            except IntegrityError:  # created by a parallel request a moment ago
                RequestCount.objects.filter(key=key, window=window).update(count=F("count") + 1)
        return request_count_of(key=key, now=now)


def request_count_of(*, key: str, now: float | None = None) -> float:
    """The requests counted for `key` in the sliding last minute (nothing counted)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    rows = RequestCount.objects.filter(key=key, window__in=(window - 1, window))
    counts = dict(rows.values_list("window", "count"))
    elapsed = (now % WINDOW_SECONDS) / WINDOW_SECONDS
    return counts.get(window, 0) + counts.get(window - 1, 0) * (1 - elapsed)


def _refuse(*, limit: int, detail: str) -> Problem:
    return Problem(
        status=429,
        title=_("Too many requests."),
        detail=detail % {"limit": limit},
        slug="rate-limited",
        headers={"Retry-After": str(WINDOW_SECONDS // 2)},
    )


def rate_limit_check(*, token_id: int, now: float | None = None) -> None:
    """Count one request of the token; raise a 429 problem with Retry-After over the limit."""
    limit = settings.API_RATE_LIMIT
    if limit and request_count_hit(key=f"token:{token_id}", now=now) > limit:
        raise _refuse(limit=limit, detail=_("This token may send %(limit)s requests per minute."))


def bad_token_check(*, address: str, now: float | None = None) -> None:
    """Refuse an address that sent more wrong tokens than settings.API_BAD_TOKEN_LIMIT in the
    last minute (guessing tokens), before its token is even looked at."""
    limit = settings.API_BAD_TOKEN_LIMIT
    if limit and request_count_of(key=f"bad-token:{address}", now=now) >= limit:
        raise _refuse(
            limit=limit,
            detail=_("Too many wrong tokens from your address: at most %(limit)s a minute."),
        )


def bad_token_count(*, address: str, now: float | None = None) -> None:
    """Count a wrong token from `address`; raise 429 once over the limit."""
    limit = settings.API_BAD_TOKEN_LIMIT
    if limit and request_count_hit(key=f"bad-token:{address}", now=now) > limit:
        raise _refuse(
            limit=limit,
            detail=_("Too many wrong tokens from your address: at most %(limit)s a minute."),
        )
