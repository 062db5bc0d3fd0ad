"""The cache rate limiter: evenly spaced send times claimed in the shared cache, each request
leaving on its tick, one budget for every process that uses the cache."""

import threading

import pytest
from django.core.cache import cache

from integrations.ratelimit import CacheRateLimiter, get_rate_limiter, reset_rate_limiters

pytestmark = pytest.mark.django_db  # the configured cache: a table in the test database


class FakeTime:
    """A clock that sleeping moves forward; `late` adds a delay to chosen wake-ups (a busy CPU)."""

    def __init__(self, start=1_000_000.0):
        self.now = start
        self.late: list[float] = []
        self.lock = threading.Lock()

    def clock(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds + (self.late.pop(0) if self.late else 0.0)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def limiter(time_, rate=10, margin=0.025, **kwargs):
    return CacheRateLimiter(rate, margin=margin, clock=time_.clock, sleep=time_.sleep, **kwargs)


def most_in_one_second(times):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_sends_are_evenly_spaced_at_the_limit_less_the_margin():
    time_ = FakeTime()
    rl = limiter(time_)
    sent = []
    for _ in range(100):
        rl.acquire("po:key")
        sent.append(time_.now)
    gaps = {round(b - a, 6) for a, b in zip(sent, sent[1:], strict=False)}
    assert gaps == {0.1025}
    assert (len(sent) - 1) / (sent[-1] - sent[0]) == pytest.approx(10 / 1.025)  # 97.6 %
    assert most_in_one_second(sent) == 10


def test_two_processes_share_one_budget_through_the_cache():
    """Two limiters (two worker processes) on one clock and cache: every tick goes to one of
    them, and together they never put more than 10 requests into a second."""
    time_ = FakeTime()
    first, second = limiter(time_), limiter(time_)
    sent = []
    for _ in range(30):
        for rl in (first, second):
            rl.acquire("po:key")
            sent.append(time_.now)
    assert len(set(sent)) == 60
    assert most_in_one_second(sent) <= 10


def test_keys_have_their_own_budgets():
    time_ = FakeTime()
    rl = limiter(time_)
    for _ in range(10):
        rl.acquire("po:a")
    start = time_.now
    rl.acquire("po:b")
    assert time_.now - start < 0.11  # b's first tick is the next one, not a second later


def test_a_sender_woken_late_leaves_on_a_new_tick_not_off_the_spacing():
    time_ = FakeTime(start=1_000_000.05)  # between two ticks: the first send waits
    rl = limiter(time_)
    rl.acquire("po:key")
    first = time_.now
    time_.late = [0.03]  # the next wake-up comes 30 ms after its tick
    rl.acquire("po:key")
    assert round((time_.now - first) / rl.interval, 6) == 2.0  # tick 1 left unused


def test_reserve_takes_a_tick_only_when_one_starts_now():
    time_ = FakeTime(start=1_000_000.0)
    rl = limiter(time_, rate=2, margin=0.0)
    assert rl.reserve("po:key") == 0.0
    wait = rl.reserve("po:key")
    assert wait == pytest.approx(0.5)
    time_.now += wait
    assert rl.reserve("po:key") == 0.0


def test_the_cache_backend_is_the_default(settings):
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "cache"
    settings.INTEGRATIONS_RATE_LIMIT_MARGIN = None
    reset_rate_limiters()
    rl = get_rate_limiter("poweroffice", 10.0)
    assert isinstance(rl, CacheRateLimiter)
    assert rl.interval == pytest.approx(0.1025)
    reset_rate_limiters()
