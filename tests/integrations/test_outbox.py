"""transfer_enqueue: the transactional outbox, coalescing, the sweep and re-queue."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import engine
from integrations.errors import ConnectionMisconfigured
from integrations.models import Operation, System, Transfer, TransferKind, TransferStatus
from integrations.outbox import (
    connection_for,
    connector_pos_settings_test,
    transfer_enqueue,
    transfers_pending,
    transfers_run_now,
)
from tests.factories.integrations import ConnectionFactory, TransferFactory

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db


def test_enqueue_writes_one_pending_transfer_per_enabled_connection(connection):
    ConnectionFactory(client=connection.client, system=System.POS)  # no connector registered
    ConnectionFactory(system=System.POWEROFFICE)  # another client

    [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)

    assert transfer.connection == connection
    assert transfer.status == TransferStatus.PENDING
    assert transfer.operation == Operation.UPSERT
    assert transfer.object == connection.client
    assert transfer.object_repr == str(connection.client)


def test_enqueue_returns_nothing_for_a_kind_no_connector_handles(connection):
    assert transfer_enqueue(obj=connection.client, kind=TransferKind.INVOICE) == []
    assert not Transfer.objects.exists()


def test_enqueue_ignores_disabled_connections(connector, db):
    connection = ConnectionFactory(enabled=False)
    assert transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER) == []


def test_pending_transfers_of_the_same_object_coalesce(connection):
    [first] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER, params={"a": 1})
    [second] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER, params={"b": 2})

    assert first.pk == second.pk
    assert Transfer.objects.count() == 1
    assert Transfer.objects.get().params == {"a": 1, "b": 2}


def test_a_finished_transfer_does_not_absorb_a_new_change(connection):
    TransferFactory(connection=connection, status=TransferStatus.SUCCEEDED)
    transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
    assert Transfer.objects.filter(status=TransferStatus.PENDING).count() == 1


def test_processing_starts_only_after_commit(connection, http, django_capture_on_commit_callbacks):
    http.post(f"{BASE_URL}/records", json={"id": 1}, status=201)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
    assert len(http.calls) == 0
    assert len(callbacks) == 1

    callbacks[0]()

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED


def test_transfer_enqueued_in_a_rolled_back_transaction_never_runs(
    connection, http, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
            raise RuntimeError("the domain service failed")

    assert callbacks == []
    assert not Transfer.objects.exists()
    assert len(http.calls) == 0


def test_sweep_recovers_a_transfer_whose_task_never_ran(connection, http):
    http.post(f"{BASE_URL}/records", json={"id": 3}, status=201)
    [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)  # no commit

    report = engine.transfers_sweep()

    transfer.refresh_from_db()
    assert report["queued"] == 1
    assert transfer.status == TransferStatus.SUCCEEDED


def test_sweep_leaves_transfers_waiting_for_their_backoff(connection):
    TransferFactory(connection=connection, next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert engine.transfers_sweep()["queued"] == 0


def test_sweep_puts_a_transfer_stuck_in_running_back_in_the_queue(connection, settings, http):
    settings.INTEGRATIONS_RUNNING_TIMEOUT = 600
    http.post(f"{BASE_URL}/records", json={"id": 4}, status=201)
    stuck = TransferFactory(
        connection=connection,
        status=TransferStatus.RUNNING,
        attempts=1,
        started_at=timezone.now() - timedelta(minutes=11),
    )
    attempt = stuck.attempt_set.create(number=1)

    report = engine.transfers_sweep()

    stuck.refresh_from_db()
    attempt.refresh_from_db()
    assert report["reaped"] == 1
    assert stuck.status == TransferStatus.SUCCEEDED
    assert attempt.outcome == "error"
    assert "worker stopped" in attempt.error


def test_a_running_transfer_within_the_timeout_is_left_alone(connection):
    running = TransferFactory(
        connection=connection, status=TransferStatus.RUNNING, started_at=timezone.now()
    )
    engine.transfers_sweep()
    running.refresh_from_db()
    assert running.status == TransferStatus.RUNNING


class TestRequeueAndCancel:
    def test_requeue_runs_a_failed_transfer_again_from_scratch(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"id": 6}, status=201)
        failed = TransferFactory(connection=connection, status=TransferStatus.FAILED, attempts=8,
                                 last_error="boom")

        with django_capture_on_commit_callbacks(execute=True):
            engine.transfer_requeue(transfer=failed, by=None)

        failed.refresh_from_db()
        assert failed.status == TransferStatus.SUCCEEDED
        assert failed.attempts == 1
        assert failed.last_error == ""

    def test_requeue_joins_an_already_pending_transfer_of_the_same_object(self, connection):
        failed = TransferFactory(connection=connection, status=TransferStatus.FAILED)
        pending = TransferFactory(connection=connection)

        assert engine.transfer_requeue(transfer=failed).pk == pending.pk
        failed.refresh_from_db()
        assert failed.status == TransferStatus.FAILED

    def test_a_running_transfer_cannot_be_requeued(self, connection):
        running = TransferFactory(connection=connection, status=TransferStatus.RUNNING)
        with pytest.raises(engine.TransferNotAllowed, match="running, not finished"):
            engine.transfer_requeue(transfer=running)

    def test_cancelled_transfer_is_not_picked_up_by_the_sweep(self, connection):
        pending = TransferFactory(connection=connection)
        engine.transfer_cancel(transfer=pending)
        assert engine.transfers_sweep()["queued"] == 0
        pending.refresh_from_db()
        assert pending.status == TransferStatus.CANCELLED

    def test_requeue_failed_filters_by_client_and_kind(self, connection):
        other = ConnectionFactory()
        TransferFactory(connection=connection, status=TransferStatus.FAILED)
        TransferFactory(connection=other, status=TransferStatus.FAILED)
        TransferFactory(connection=connection, status=TransferStatus.FAILED,
                        kind=TransferKind.CONTACT_PERSON)

        count = engine.transfers_requeue_failed(
            client=connection.client, kind=TransferKind.CUSTOMER
        )

        assert count == 1
        assert Transfer.objects.filter(status=TransferStatus.FAILED).count() == 2


class TestPublicHelpers:
    """What domain apps (pos) may ask of integrations besides enqueueing."""

    def test_connection_for_finds_the_clients_connection_to_that_system(self, connector, db):
        disabled = ConnectionFactory(system=System.POWEROFFICE, enabled=False)
        ConnectionFactory(system=System.POWEROFFICE)  # another client's
        found = connection_for(client=disabled.client, system=System.POWEROFFICE)
        assert found == disabled
        assert connection_for(client=disabled.client, system=System.AZETS) is None

    def test_pending_transfers_run_now_in_this_process(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"id": 41}, status=201)
        with django_capture_on_commit_callbacks(execute=False):
            transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
        [pending] = transfers_pending(obj=connection.client, kind=TransferKind.CUSTOMER)

        transfers_run_now(transfers=[pending])

        pending.refresh_from_db()
        assert (pending.status, pending.external_id) == (TransferStatus.SUCCEEDED, "41")
        assert transfers_pending(obj=connection.client, kind=TransferKind.CUSTOMER) == []

    def test_pos_settings_test_of_a_connector_without_pos_says_so(self, connector, db):
        from tests.factories.pos import PosSettingsFactory

        result = connector_pos_settings_test(
            system=System.POWEROFFICE, pos_settings=PosSettingsFactory()
        )
        assert not result.ok
        assert "does not take POS sales" in result.message

    def test_pos_settings_test_without_a_registered_connector_is_misconfigured(self, db):
        from tests.factories.pos import PosSettingsFactory

        with pytest.raises(ConnectionMisconfigured, match="No connector is registered"):
            connector_pos_settings_test(system=System.POS, pos_settings=PosSettingsFactory())
