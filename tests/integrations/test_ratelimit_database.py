"""The database tick store: one statement per claim on the worker's own connection, no session
or lock of its own, old ticks cleaned up now and then; and how the backend is chosen."""

import threading

import pytest
from django.core import checks
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext

from integrations.checks import check_shared_state
from integrations.models import RateLimitTick
from integrations.ratelimit import (
    CacheRateLimiter,
    DatabaseRateLimiter,
    DatabaseTickStore,
    SlidingWindowRateLimiter,
    get_rate_limiter,
    reset_rate_limiters,
)

NOW = 1_000_000.0
DBCACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                       "LOCATION": "ledgerbridge_cache"}}  # fmt: skip
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://127.0.0.1:6379/1"}}  # fmt: skip


class FakeTime:
    def __init__(self, start=NOW):
        self.now = start

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def limiter(time_, **kwargs):
    return DatabaseRateLimiter(10, clock=time_.clock, sleep=time_.sleep, **kwargs)


@pytest.fixture
def opened():
    """The database connections opened while the test runs."""
    connection.ensure_connection()
    created = []

    def count(sender, connection, **kwargs):
        created.append(connection.alias)

    connection_created.connect(count)
    yield created
    connection_created.disconnect(count)


@pytest.mark.django_db
def test_a_claim_is_one_statement_on_the_callers_connection_and_opens_none(opened):
    time_ = FakeTime()
    first, second = limiter(time_), limiter(time_)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            first.acquire("po:key")
    assert len(queries) == 20
    assert all("INSERT" in q["sql"] and "ON CONFLICT" in q["sql"] for q in queries)

    time_.now = RateLimitTick.objects.order_by("tick").values_list("at", flat=True)[0]
    with CaptureQueriesContext(connection) as queries:
        # Its first candidate is the first of the 20 ticks `first` holds: one statement
        # still finds the free tick after them.
        second.acquire("po:key")
    assert len(queries) == 1
    assert RateLimitTick.objects.count() == 21
    assert opened == []  # no session of its own, no connection per thread


@pytest.mark.django_db
def test_each_send_is_one_row_per_tick():
    time_ = FakeTime()
    rl = limiter(time_)
    for _ in range(5):
        rl.acquire("po:a")
    rl.acquire("po:b")
    rows = list(RateLimitTick.objects.order_by("budget_key", "tick").values_list(
        "budget_key", "at"))  # fmt: skip
    assert [key for key, _at in rows] == ["po:a"] * 5 + ["po:b"]
    ticks_a = [at for key, at in rows if key == "po:a"]
    assert [round(b - a, 6) for a, b in zip(ticks_a, ticks_a[1:], strict=False)] == [0.1025] * 4


@pytest.mark.django_db(transaction=True)
def test_old_ticks_are_deleted_every_few_hundred_claims_in_one_statement():
    time_ = FakeTime()
    rl = limiter(time_, clean_every=10)
    for _ in range(9):
        rl.acquire("po:key")
    RateLimitTick.objects.create(budget_key="po:gone", tick=1, at=NOW - 3600)  # a crashed process's
    time_.now += 61  # every tick so far left more than a minute ago
    with CaptureQueriesContext(connection) as queries:
        rl.acquire("po:key")  # the 10th claim
    assert [q["sql"].split()[0] for q in queries] == ["WITH", "DELETE"]  # claim, clean-up
    assert list(RateLimitTick.objects.values_list("budget_key", flat=True)) == ["po:key"]
    with CaptureQueriesContext(connection) as queries:
        rl.acquire("po:key")
    assert len(queries) == 1  # the next clean-up is ten claims away
    assert rl.store.cleaned == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_inside_a_transaction_commits_with_it_and_defers_the_clean_up():
    time_ = FakeTime()
    rl = limiter(time_, clean_every=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            rl.acquire("po:key")
        assert RateLimitTick.objects.count() == 1  # visible in the transaction
        raise RuntimeError("the export's transaction fails")
    assert [q["sql"].split()[0] for q in queries] == ["WITH"]  # no DELETE holding row locks
    assert not RateLimitTick.objects.exists()  # rolled back with it
    assert rl.store.cleaned == 0
    time_.now += 61
    rl.acquire("po:key")  # autocommit: the clean-up that was due runs now
    assert rl.store.cleaned == 1
    assert RateLimitTick.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_separate_connections_win_each_tick_once():
    """Four threads (each its own connection, like four worker processes) claim the same 40
    ticks: the database gives every tick to exactly one of them."""
    store = DatabaseTickStore()
    won: dict[int, list[int]] = {tick: [] for tick in range(40)}
    start = threading.Barrier(4)
    errors = []

    def claim(worker):
        try:
            start.wait()
            for tick in won:
                if store.claim("po:key", tick, at=NOW + tick, now=NOW):
                    won[tick].append(worker)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(winners) == 1 for winners in won.values()), won
    assert RateLimitTick.objects.count() == 40


class TestBackendChoice:
    def limiter(self, settings, backend, caches=None, margin=None):
        settings.INTEGRATIONS_RATE_LIMIT_BACKEND = backend
        settings.INTEGRATIONS_RATE_LIMIT_MARGIN = margin
        if caches is not None:
            settings.CACHES = caches
        reset_rate_limiters()
        try:
            return get_rate_limiter("poweroffice", 10.0)
        finally:
            reset_rate_limiters()

    def test_auto_uses_the_tick_table_with_the_database_cache(self, settings):
        rl = self.limiter(settings, "auto", DBCACHE)
        assert isinstance(rl, DatabaseRateLimiter)
        assert rl.interval == pytest.approx(0.1025)  # margin 0.025: 97.6 % of the limit

    def test_auto_uses_a_shared_cache_that_is_not_the_database(self, settings):
        assert isinstance(self.limiter(settings, "auto", REDIS), CacheRateLimiter)
        assert isinstance(self.limiter(settings, "auto", LOCMEM), CacheRateLimiter)

    def test_each_backend_can_be_chosen(self, settings):
        assert isinstance(self.limiter(settings, "cache", DBCACHE), CacheRateLimiter)
        assert isinstance(self.limiter(settings, "database", REDIS), DatabaseRateLimiter)
        local = self.limiter(settings, "local")
        assert isinstance(local, SlidingWindowRateLimiter)
        assert local.window == pytest.approx(1.05)
        assert self.limiter(settings, "database", margin=0.1).interval == pytest.approx(0.11)

    def test_an_unknown_backend_is_refused(self, settings):
        with pytest.raises(ValueError, match="memcache"):
            self.limiter(settings, "memcache")


class TestBackendChecks:
    def ids(self, settings, backend, caches):
        settings.INTEGRATIONS_RATE_LIMIT_BACKEND = backend
        settings.CACHES = caches
        return {problem.id for problem in check_shared_state()}

    def test_the_cache_backend_on_the_database_cache_is_warned_about(self, settings):
        assert "integrations.W002" in self.ids(settings, "cache", DBCACHE)
        assert "integrations.W002" not in self.ids(settings, "auto", DBCACHE)
        assert "integrations.W002" not in self.ids(settings, "database", DBCACHE)
        assert "integrations.W002" not in self.ids(settings, "cache", REDIS)

    def test_an_unknown_backend_is_an_error(self, settings):
        settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "memcache"
        errors = [p for p in check_shared_state() if p.level >= checks.ERROR]
        assert [p.id for p in errors] == ["integrations.E008"]
