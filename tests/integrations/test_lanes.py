"""Lanes: a worker process keeps several requests in flight, on threads that stay (issue 19)."""

import json
import re
import threading
import time

import pytest
from django.db import OperationalError
from django.db import connection as db_connection
from django.db.backends.signals import connection_created

from integrations import engine, lanes, worker
from integrations.models import Transfer, TransferStatus
from tests.factories.integrations import ConnectionFactory, TransferFactory

from .testconnector import BASE_URL


@pytest.fixture
def threaded(monkeypatch):
    """Lanes use threads whatever the database (the jobs here touch none)."""
    monkeypatch.setattr(lanes, "threads_useful", lambda: True)
    return lanes.Lanes("test", 3)


class TestLanes:
    def test_jobs_run_side_by_side_and_results_come_back_in_order(self, threaded):
        together = threading.Barrier(3, timeout=10)  # breaks unless three run at once

        def job(n):
            together.wait()
            return n * 10

        assert threaded.map(job, [1, 2, 3]) == [10, 20, 30]

    def test_the_threads_stay_for_the_next_jobs(self, threaded):
        first = set(threaded.map(lambda _: threading.get_ident(), range(6)))
        threads = list(threaded._threads)
        second = set(threaded.map(lambda _: threading.get_ident(), range(6)))
        assert threaded._threads == threads and len(threads) == 3
        assert first | second <= {thread.ident for thread in threads}
        assert threading.get_ident() not in first

    def test_a_caller_may_use_fewer_lanes_than_the_pool_has(self, threaded):
        """One POS batch uses its share of the process's pos lanes, not all of them."""
        pairs = threading.Barrier(2, timeout=10)  # breaks unless two run at once
        running, most, lock = [0], [0], threading.Lock()

        def job(n):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            pairs.wait()
            with lock:
                running[0] -= 1
            return n

        assert threaded.map(job, range(6), width=2) == list(range(6))
        assert most[0] == 2

    def test_an_error_is_raised_after_every_job_ended(self, threaded):
        ended = []

        def job(n):
            if n == 1:
                raise ValueError("sale 1 is broken")
            ended.append(n)

        with pytest.raises(ValueError, match="sale 1 is broken"):
            threaded.map(job, [0, 1, 2, 3])
        assert sorted(ended) == [0, 2, 3]

    def test_items_are_taken_as_lanes_come_free_with_no_wait_at_a_page_end(self, threaded):
        """A POS batch's pages: the next page is loaded while a sale of the one before is still
        on its way, not once the whole page has been sent (nor all pages up front)."""
        first_on_its_way = threading.Event()
        loaded_while_first_on_its_way = []

        def pages():
            yield "page 1, sale 1"
            # Loading page 2: only possible once a lane has taken sale 1 and sends it.
            loaded_while_first_on_its_way.append(first_on_its_way.wait(5))
            yield "page 2, sale 1"

        sent = []

        def send(sale):
            if sale == "page 1, sale 1":
                first_on_its_way.set()
                time.sleep(0.2)  # its answer is still on the way while page 2 is loaded
            sent.append(sale)

        threaded.each(send, pages(), width=2)
        assert loaded_while_first_on_its_way == [True]
        assert sorted(sent) == ["page 1, sale 1", "page 2, sale 1"]

    def test_a_page_that_fails_to_load_is_raised_after_the_lanes_stop(self, threaded):
        def pages():
            yield 1
            raise RuntimeError("page 2 could not be read")

        sent = []
        with pytest.raises(RuntimeError, match="page 2"):
            threaded.each(sent.append, pages(), width=2)
        assert sent == [1]

    def test_warming_up_with_the_database_down_gives_up_at_once(self, threaded, monkeypatch):
        """A worker starting while the database is down is not held up: the lanes that could
        not connect release the others, and the first job connects later."""
        calls = []

        class Down:
            def ensure_connection(self):
                calls.append(1)
                if len(calls) == 1:
                    raise OperationalError("connection refused")

        monkeypatch.setattr(lanes, "db_connection", Down())
        started = time.monotonic()
        assert threaded.warm() == 0
        assert time.monotonic() - started < 10  # not the barrier's 30 s
        assert len(threaded._threads) == 3

    @pytest.mark.django_db
    def test_inline_where_threads_cannot_help(self):
        """SQLite has one writer; a test's (or a command's) transaction hides its rows from
        other connections: the jobs run in the calling thread."""
        pool = lanes.Lanes("inline", 4)
        assert set(pool.map(lambda _: threading.get_ident(), range(5))) == {threading.get_ident()}


def _records_answering_together(http, count: int):
    """POST /records answers only once `count` requests wait at once (or fails after 10 s)."""
    together = threading.Barrier(count, timeout=10)

    def answer(request):
        together.wait()
        reference = json.loads(request.body)["reference"]
        return 201, {}, json.dumps({"id": f"R-{reference}"})

    http.add_callback("POST", f"{BASE_URL}/records", callback=answer)


@pytest.fixture
def lane_worker(settings, monkeypatch):
    """This process as a prepared cluster worker with two lanes, on PostgreSQL (SQLite runs one
    transfer at a time), without a heartbeat thread."""
    if db_connection.vendor == "sqlite":
        pytest.skip("SQLite runs one transfer at a time (one writer)")
    settings.INTEGRATIONS_WORKER_LANES = 2
    monkeypatch.setitem(worker._state, "installed", True)
    monkeypatch.setitem(worker._state, "stopping", False)
    monkeypatch.setattr(worker, "_running", set())
    monkeypatch.setattr(worker, "heartbeat_ensure", lambda: None)


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_transfers_of_two_clients_at_once_and_stays_connected(
    connector, http, lane_worker
):
    transfers = [TransferFactory(connection=ConnectionFactory()) for _ in range(2)]
    _records_answering_together(http, 2)

    assert engine.transfers_dispatch(seconds=60) == 2

    statuses = set(Transfer.objects.values_list("status", flat=True))
    assert statuses == {TransferStatus.SUCCEEDED}, [t.last_error for t in Transfer.objects.all()]

    # A second run of the same worker reuses the lanes' connections: none is opened.
    opened = []
    connection_created.connect(lambda **kw: opened.append(kw), weak=False, dispatch_uid="t")
    try:
        for transfer in transfers:
            Transfer.objects.filter(pk=transfer.pk).update(status=TransferStatus.PENDING)
        http.put(re.compile(rf"{re.escape(BASE_URL)}/records/R-.*"), status=204)
        engine.transfers_dispatch(seconds=60)
    finally:
        connection_created.disconnect(dispatch_uid="t")
    assert opened == []


@pytest.mark.django_db(transaction=True)
def test_sigterm_while_lanes_run_puts_every_running_transfer_back(connector, http, lane_worker):
    transfers = [TransferFactory(connection=ConnectionFactory()) for _ in range(3)]
    in_flight = threading.Barrier(3, timeout=10)  # two lanes and the test
    leave = threading.Event()

    def hang(request):
        in_flight.wait()
        leave.wait(10)
        return 503, {}, ""

    http.add_callback("POST", f"{BASE_URL}/records", callback=hang)

    def sigterm_once_both_are_in_flight():
        in_flight.wait()
        # As the signal arrives in the main thread while it waits for the lanes:
        worker._state["stopping"] = True
        worker._release_all()
        leave.set()

    stopper = threading.Thread(target=sigterm_once_both_are_in_flight)
    stopper.start()
    engine.transfers_dispatch(seconds=60)
    stopper.join()

    rows = {t.pk: t for t in Transfer.objects.filter(pk__in=[t.pk for t in transfers])}
    assert sum(1 for t in rows.values() if t.attempts == 0) == 3  # none used up an attempt
    assert all(t.status == TransferStatus.PENDING for t in rows.values())
    released = [t for t in rows.values() if "stopped (service shutdown)" in t.last_error]
    assert len(released) == 2  # the two in flight; the third was never claimed


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_connects_every_lane_once_and_its_first_run_opens_none(
    connector, http, lane_worker, settings
):
    settings.POWEROFFICE_POS_CONCURRENCY = 2
    db_connection.ensure_connection()  # this thread's own (the test's), counted apart
    opened = []
    connection_created.connect(
        lambda **kw: opened.append(threading.current_thread().name), weak=False, dispatch_uid="w"
    )
    try:
        # Two transfer lanes and two pos lanes for each of them.
        assert lanes.lanes_warm_all() == 2 + 2 * 2
        assert len(opened) == 6, " ".join(opened)
        assert lanes.lanes_warm_all() == 6  # again: the same threads, already connected
        assert len(opened) == 6, " ".join(opened)

        TransferFactory(connection=ConnectionFactory())
        http.put(re.compile(rf"{re.escape(BASE_URL)}/records/R-.*"), status=204)
        assert engine.transfers_dispatch(seconds=60) == 1
    finally:
        connection_created.disconnect(dispatch_uid="w")
    assert len(opened) == 6, " ".join(opened)
