"""The shared request-rate budget never lets more than `rate` requests into any one second."""

import threading

import pytest

from integrations.ratelimit import SlidingWindowRateLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds


def max_in_any_window(times, window):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_one_key_never_exceeds_the_budget_in_any_second():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(10, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(35):
        limiter.acquire("sub-a")
        sent.append(clock.now)
    assert max_in_any_window(sent, 1.0) == 10
    assert sent[10] >= sent[0] + 1.0


def test_many_threads_share_the_budget_of_one_key():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(10, clock=clock, sleep=clock.sleep)
    sent, lock = [], threading.Lock()

    def worker():
        for _ in range(10):
            limiter.acquire("sub-a")
            with lock:
                sent.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 60
    assert max_in_any_window(sent, 1.0) <= 10


def test_keys_have_separate_budgets():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(2, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve("a"), limiter.reserve("a"), limiter.reserve("b")] == [0.0, 0.0, 0.0]
    assert limiter.reserve("a") == 1.0


def test_fractional_rate_is_whole_requests_per_whole_second():
    # 9 per 0.947 s (the old rule) put up to 18 requests into one server second: 429s.
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(9.5, clock=clock, sleep=clock.sleep)
    assert (limiter.capacity, limiter.window) == (9, 1.0)
    sent = []
    for _ in range(30):
        limiter.acquire("a")
        sent.append(clock.now)
    assert max_in_any_window(sent, 1.0) == 9


def test_rate_below_one_per_second_is_one_request_per_interval():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(0.5, clock=clock, sleep=clock.sleep)
    limiter.acquire("a")
    limiter.acquire("a")
    assert clock.now == 2.0


def test_margin_stretches_the_window_so_jitter_cannot_crowd_a_server_second():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(10, margin=0.05, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(40):
        limiter.acquire("a")
        sent.append(clock.now)
    assert max_in_any_window(sent, 1.05) == 10
    assert sent[10] - sent[0] == pytest.approx(1.05)


def test_a_server_counts_arrivals_given_out_of_order():
    """The sandbox passes each request's arrival (when it came in plus the way in), which a
    busy process may handle slightly out of order: every one-second window still holds at
    most the limit."""
    rl = SlidingWindowRateLimiter(2, clock=lambda: 0.0)
    assert rl.reserve("k", now=10.0) == 0.0
    assert rl.reserve("k", now=10.6) == 0.0
    assert rl.reserve("k", now=10.4) > 0  # 10.0, 10.4 and 10.6 would be 3 in one second
    assert rl.reserve("k", now=11.05) == 0.0  # 10.0 has left the window ending here
    assert rl.reserve("k", now=11.3) > 0  # 10.6 and 11.05 are in (10.3, 11.3]
