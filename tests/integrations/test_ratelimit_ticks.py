"""The tick rate limiter on both shared stores (a cache's atomic `add`, the tick table): evenly
spaced send times, one sender per tick across processes, a late sender leaving on a new tick."""

import math
import threading

import pytest
from django.core.cache import caches

from integrations.ratelimit import CacheRateLimiter, DatabaseRateLimiter

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "ratelimit-tests"}}  # fmt: skip


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


@pytest.fixture(params=["cache", "database"])
def make_limiter(request, settings):
    """Builds limiters on one store kind; each limiter is one worker process (its own hint)."""
    if request.param == "cache":
        settings.CACHES = LOCMEM  # as Redis or Memcached: an atomic add shared by processes
        caches["default"].clear()
        kind = CacheRateLimiter
    else:
        kind = DatabaseRateLimiter

    def make(time_, rate=10, margin=0.025, **kwargs):
        return kind(rate, margin=margin, clock=time_.clock, sleep=time_.sleep, **kwargs)

    yield make
    if request.param == "cache":
        caches["default"].clear()


def most_in_one_second(times):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_sends_are_evenly_spaced_at_the_limit_less_the_margin(make_limiter):
    time_ = FakeTime()
    rl = make_limiter(time_)
    sent = []
    for _ in range(100):
        rl.acquire("po:key")
        sent.append(time_.now)
    gaps = {round(b - a, 6) for a, b in zip(sent, sent[1:], strict=False)}
    assert gaps == {0.1025}
    assert (len(sent) - 1) / (sent[-1] - sent[0]) == pytest.approx(10 / 1.025)  # 97.6 %
    assert most_in_one_second(sent) == 10


def test_two_processes_never_send_on_one_tick(make_limiter):
    """Two limiters (two worker processes) on one clock and store: every tick goes to one of
    them, and together they never put more than 10 requests into a second."""
    time_ = FakeTime()
    first, second = make_limiter(time_), make_limiter(time_)
    sent = []
    for _ in range(30):
        for rl in (first, second):
            rl.acquire("po:key")
            sent.append(time_.now)
    assert len(set(sent)) == 60
    assert most_in_one_second(sent) <= 10


def test_a_process_that_loses_a_tick_takes_the_next_one(make_limiter):
    time_ = FakeTime()  # on a tick: ticks are 0.5 s at 2/s without margin
    first, second = make_limiter(time_, rate=2, margin=0.0), make_limiter(time_, rate=2, margin=0.0)
    assert first.reserve("po:key") == 0.0  # the tick now: first's
    assert second.reserve("po:key") == pytest.approx(0.5)  # lost it; the next is later
    time_.now += 0.5
    assert second.reserve("po:key") == 0.0
    assert first.reserve("po:key") == pytest.approx(0.5)


def test_keys_have_their_own_budgets(make_limiter):
    time_ = FakeTime()
    rl = make_limiter(time_)
    for _ in range(10):
        rl.acquire("po:a")
    start = time_.now
    rl.acquire("po:b")
    assert time_.now - start < 0.11  # b's first tick is the next one, not a second later


def test_a_sender_woken_late_leaves_on_a_new_tick_not_off_the_spacing(make_limiter):
    time_ = FakeTime(start=1_000_000.05)  # between two ticks: the first send waits
    rl = make_limiter(time_)
    rl.acquire("po:key")
    first = time_.now
    time_.late = [0.03]  # the next wake-up comes 30 ms after its tick
    rl.acquire("po:key")
    assert round((time_.now - first) / rl.interval, 6) == 2.0  # tick 1 left unused
    assert rl.missed == 1


def test_reserve_takes_a_tick_only_when_one_starts_now(make_limiter):
    time_ = FakeTime(start=1_000_000.0)
    rl = make_limiter(time_, rate=2, margin=0.0)
    assert rl.reserve("po:key") == 0.0
    wait = rl.reserve("po:key")
    assert wait == pytest.approx(0.5)
    time_.now += wait
    assert rl.reserve("po:key") == 0.0


def test_a_slow_claim_does_not_make_its_sender_miss_the_tick(make_limiter, monkeypatch):
    """Claims that take 12 ms (a loaded database) with a 5 ms tolerance, each request coming
    3 ms before a tick: after the first claim the limiter picks ticks far enough ahead, so no
    tick is lost to the claim's own duration."""
    time_ = FakeTime()
    rl = make_limiter(time_)
    def slowed(claim):
        def slow_claim(*args, **kwargs):
            time_.now += 0.012
            return claim(*args, **kwargs)

        return slow_claim

    for name in ("claim", "claim_first"):  # the database store finds the first free tick
        if hasattr(rl.store, name):
            monkeypatch.setattr(rl.store, name, slowed(getattr(rl.store, name)))
    sent = []
    for _ in range(20):
        time_.now = (math.floor(time_.now / rl.interval) + 5) * rl.interval - 0.003
        rl.acquire("po:key")
        sent.append(time_.now)

    assert rl.missed <= 1  # at most the first, before the limiter has timed a claim
    assert rl.lead == pytest.approx(0.024)
    assert most_in_one_second(sent) <= 10
