"""integrations.worker and the engine's side of it: a cluster worker's SIGTERM puts its transfer
back to pending at once; its heartbeat lets the reaper notice a killed worker within about two
minutes instead of fifteen. (tests/integrations/test_cluster_shutdown.py does it for real.)"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import engine, worker
from integrations.models import AttemptOutcome, Transfer, TransferStatus
from tests.factories.integrations import TransferFactory

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster_worker(monkeypatch, settings):
    """This process as a prepared cluster worker (without touching its signal handlers), with
    the heartbeat thread beating often."""
    settings.INTEGRATIONS_HEARTBEAT_TIMEOUT = 120
    monkeypatch.setitem(worker._state, "installed", True)
    monkeypatch.setitem(worker._state, "stopping", False)
    monkeypatch.setattr(worker, "_running", set())
    # No heartbeat thread: its own database connection would not see this test's transaction.
    monkeypatch.setattr(worker, "heartbeat_ensure", lambda: None)


def sigterm_during(request):
    """The SIGTERM handler, as it fires in the middle of the HTTP call."""
    worker._on_sigterm(15, None)


class TestSigterm:
    def test_sigterm_mid_transfer_puts_it_back_to_pending_and_ends_the_worker(
        self, connection, http, cluster_worker
    ):
        transfer = TransferFactory(connection=connection)
        http.add_callback("POST", f"{BASE_URL}/records", callback=sigterm_during)

        with pytest.raises(SystemExit), worker.transfer_running(transfer.pk):
            engine.transfer_process(transfer.pk)

        transfer.refresh_from_db()
        assert (transfer.status, transfer.attempts) == (TransferStatus.PENDING, 0)
        assert transfer.next_attempt_at <= timezone.now() and transfer.queued_at is None
        assert "stopped (service shutdown)" in transfer.last_error
        attempt = transfer.attempt_set.get()
        assert (attempt.outcome, attempt.error) == (AttemptOutcome.ERROR, engine.INTERRUPTED_TEXT)

    def test_released_transfer_is_then_sent_once(self, connection, http, cluster_worker):
        transfer = TransferFactory(connection=connection)
        http.add_callback("POST", f"{BASE_URL}/records", callback=sigterm_during)
        with pytest.raises(SystemExit), worker.transfer_running(transfer.pk):
            engine.transfer_process(transfer.pk)

        http.replace("POST", f"{BASE_URL}/records", json={"id": 9}, status=201)
        assert engine.transfer_process(transfer.pk) == TransferStatus.SUCCEEDED
        assert len([c for c in http.calls if c.request.method == "POST"]) == 2

    def test_sigterm_while_idle_ends_the_worker_without_touching_transfers(self, cluster_worker):
        with pytest.raises(SystemExit):
            worker._on_sigterm(15, None)
        worker._on_sigterm(15, None)  # a second one (forwarded by the main process) is ignored

    def test_release_leaves_a_transfer_another_worker_runs_alone(self, connection):
        other = TransferFactory(connection=connection, status=TransferStatus.RUNNING,
                                worker="elsewhere:1")  # fmt: skip
        assert not engine.transfer_release_interrupted(transfer_id=other.pk, worker="here:2")
        other.refresh_from_db()
        assert other.status == TransferStatus.RUNNING

    def test_outside_a_cluster_worker_nothing_is_installed(self, connection, http):
        transfer = TransferFactory(connection=connection)
        http.post(f"{BASE_URL}/records", json={"id": 3}, status=201)
        with worker.transfer_running(transfer.pk):
            assert engine.transfer_process(transfer.pk) == TransferStatus.SUCCEEDED
        transfer.refresh_from_db()
        assert transfer.heartbeat_at is None  # commands and sync mode: no heartbeat
        assert transfer.worker == worker.worker_name()


class TestHeartbeat:
    def test_a_cluster_worker_claim_is_the_first_heartbeat(self, connection, cluster_worker):
        transfer = TransferFactory(connection=connection)
        claimed = engine.transfer_claim(transfer.pk)
        assert claimed.heartbeat_at is not None
        assert claimed.worker == worker.worker_name()

    def test_heartbeat_renews_only_the_claiming_workers_transfer(self, connection):
        transfer = TransferFactory(connection=connection, status=TransferStatus.RUNNING,
                                   worker="host:1")  # fmt: skip
        assert engine.transfers_heartbeat(transfer_ids=[transfer.pk], worker="host:1") == 1
        assert engine.transfers_heartbeat(transfer_ids=[transfer.pk], worker="host:2") == 0
        transfer.refresh_from_db()
        assert transfer.heartbeat_at is not None

    def test_reaper_takes_a_silent_transfer_after_the_heartbeat_timeout(self, connection,
                                                                         settings):
        settings.INTEGRATIONS_HEARTBEAT_TIMEOUT = 120
        settings.INTEGRATIONS_RUNNING_TIMEOUT = 900
        now = timezone.now()
        beating = TransferFactory(
            connection=connection, status=TransferStatus.RUNNING, worker="host:1", attempts=1,
            started_at=now - timedelta(minutes=10), heartbeat_at=now - timedelta(seconds=30),
        )  # fmt: skip
        silent = TransferFactory(
            connection=connection, status=TransferStatus.RUNNING, worker="host:2", attempts=1,
            started_at=now - timedelta(minutes=3), heartbeat_at=now - timedelta(seconds=121),
            object_id=connection.pk + 1000,
        )  # fmt: skip

        assert engine.transfers_reap_stale(now=now) == 1

        beating.refresh_from_db()
        silent.refresh_from_db()
        assert beating.status == TransferStatus.RUNNING  # long, but alive
        assert silent.status == TransferStatus.PENDING
        assert "host:2 stopped before finishing (no sign of life since" in silent.last_error

    def test_without_heartbeat_the_reaper_keeps_the_long_timeout(self, connection, settings):
        settings.INTEGRATIONS_RUNNING_TIMEOUT = 900
        now = timezone.now()
        command_run = TransferFactory(connection=connection, status=TransferStatus.RUNNING,
                                      started_at=now - timedelta(minutes=10))  # fmt: skip
        assert engine.transfers_reap_stale(now=now) == 0
        assert engine.transfers_reap_stale(now=now + timedelta(minutes=6)) == 1
        assert Transfer.objects.get(pk=command_run.pk).status == TransferStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_heartbeat_thread_renews_every_transfer_the_process_runs(connection, settings,
                                                                  monkeypatch):
    settings.INTEGRATIONS_HEARTBEAT_TIMEOUT = 4  # a beat every second
    monkeypatch.setattr(worker, "_running", set())
    mine = [
        TransferFactory(connection=connection, status=TransferStatus.RUNNING,
                        worker=worker.worker_name(), object_id=connection.pk + n)
        for n in (1, 2)
    ]  # fmt: skip
    finished = TransferFactory(connection=connection, worker=worker.worker_name(),
                               object_id=connection.pk + 3)  # fmt: skip
    worker._running.update({mine[0].pk, mine[1].pk, finished.pk})
    heartbeat = worker.Heartbeat()

    heartbeat.start()
    try:
        deadline = timezone.now() + timedelta(seconds=15)
        while timezone.now() < deadline:
            if Transfer.objects.filter(pk__in=[t.pk for t in mine],
                                       heartbeat_at__isnull=False).count() == 2:  # fmt: skip
                break
            time.sleep(0.2)  # leave the heartbeat room to write (SQLite locks the table)
    finally:
        heartbeat.stop()
        heartbeat.join(timeout=5)

    assert Transfer.objects.filter(pk__in=[t.pk for t in mine], heartbeat_at__isnull=False
                                   ).count() == 2  # fmt: skip
    assert Transfer.objects.get(pk=finished.pk).heartbeat_at is None  # pending: not renewed
    assert not heartbeat.is_alive()


def test_a_database_error_caused_by_the_signal_still_releases_and_stops(
    connection, cluster_worker
):
    transfer = TransferFactory(connection=connection)
    engine.transfer_claim(transfer.pk)

    with pytest.raises(SystemExit), worker.transfer_running(transfer.pk):
        try:
            worker._on_sigterm(15, None)
        finally:
            raise RuntimeError("the connection is closed")  # replaces WorkerStopping

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING
