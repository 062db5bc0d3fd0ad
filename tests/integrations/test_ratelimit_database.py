"""The database rate limiter: one budget per key, shared by every process using the database."""

import json

import pytest
from django.db import connections

from integrations.models import RateLimitSlot
from integrations.ratelimit import (
    DatabaseRateLimiter,
    SlidingWindowRateLimiter,
    get_rate_limiter,
    reset_rate_limiters,
)

NOW = 1_000_000.0


class Recorder:
    """A frozen clock; `sleep` records the waits, so send time = NOW + wait."""

    def __init__(self):
        self.waits = []

    def clock(self):
        return NOW

    def sleep(self, seconds):
        self.waits.append(seconds)

    def sent(self):
        return [NOW + w for w in self.waits]


def max_in_any_window(times, window):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def limiter_on_test_connection(recorder, rate=10, margin=0.05):
    return DatabaseRateLimiter(
        rate, margin=margin, connection_factory=lambda: connections["default"],
        clock=recorder.clock, sleep=recorder.sleep,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_budget_through_the_database():
    """Two limiters with their own database connections (PostgreSQL), as two worker processes
    would have: their requests for one key share one log, never more than 10 per 1.05 s."""
    first, second = Recorder(), Recorder()
    limiters = [
        DatabaseRateLimiter(10, margin=0.05, clock=r.clock, sleep=r.sleep) for r in (first, second)
    ]
    try:
        for _ in range(15):
            for limiter in limiters:
                limiter.acquire("poweroffice:abc")
    finally:
        for limiter in limiters:  # PostgreSQL: each had its own connection
            private = getattr(limiter._local, "connection", None)
            if private is not None:
                private.close()
    sent = sorted([NOW] * (30 - len(first.waits) - len(second.waits)) + first.sent()
                  + second.sent())  # fmt: skip
    assert len(sent) == 30
    assert sent.count(NOW) == 10  # a full burst at once, then the window must pass
    assert max_in_any_window(sent, 1.0) == 10  # the server's window, with 50 ms to spare
    assert sent[10] == pytest.approx(NOW + 1.05)
    assert sent[20] == pytest.approx(NOW + 2.10)


@pytest.mark.django_db
def test_the_log_keeps_only_the_last_capacity_sends():
    recorder = Recorder()
    limiter = limiter_on_test_connection(recorder, rate=3, margin=0.0)

    for _ in range(7):
        limiter.acquire("k")

    sends = json.loads(RateLimitSlot.objects.get(budget_key="k").sends)
    assert sends == pytest.approx([NOW + 2.0, NOW + 2.0, NOW + 2.0])
    assert recorder.waits == pytest.approx([1.0, 1.0, 1.0, 2.0])


@pytest.mark.django_db
def test_keys_have_separate_budgets():
    recorder = Recorder()
    limiter = limiter_on_test_connection(recorder, rate=1)

    for key in ("a", "b", "c"):
        limiter.acquire(key)

    assert recorder.waits == []
    assert set(RateLimitSlot.objects.values_list("budget_key", flat=True)) == {"a", "b", "c"}


@pytest.mark.django_db
def test_reserve_returns_the_wait_without_taking_a_send():
    recorder = Recorder()
    limiter = limiter_on_test_connection(recorder, rate=2, margin=0.0)

    assert [limiter.reserve("k"), limiter.reserve("k")] == [0.0, 0.0]
    assert limiter.reserve("k") == pytest.approx(1.0)
    assert len(json.loads(RateLimitSlot.objects.get(budget_key="k").sends)) == 2


def test_backend_setting_chooses_the_limiter(settings):
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "database"
    reset_rate_limiters()
    assert isinstance(get_rate_limiter("poweroffice", 10.0), DatabaseRateLimiter)
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "local"
    reset_rate_limiters()
    limiter = get_rate_limiter("poweroffice", 10.0)
    assert isinstance(limiter, SlidingWindowRateLimiter)
    assert limiter.window == pytest.approx(1.05)


def test_unknown_backend_is_refused(settings):
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "memcache"
    reset_rate_limiters()
    with pytest.raises(ValueError, match="memcache"):
        get_rate_limiter("poweroffice", 10.0)
