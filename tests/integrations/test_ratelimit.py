"""The shared request-rate budget never lets more than `rate` requests into any one second."""

import threading

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


def test_fractional_rate_is_whole_requests_over_a_shorter_window():
    clock = FakeClock()
    limiter = SlidingWindowRateLimiter(2.5, clock=clock, sleep=clock.sleep)
    assert (limiter.capacity, limiter.window) == (2, 0.8)
    limiter.acquire("a")
    limiter.acquire("a")
    limiter.acquire("a")
    assert clock.now == 0.8
