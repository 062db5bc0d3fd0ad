"""Fair shares of one budget: round robin over clients, interactive before bulk, a worker kept
for interactive work, and a sweep that does not pile up tasks (issue 19)."""

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from integrations import engine, outbox
from integrations.fairness import bulk_work, transfer_priority_for
from integrations.models import Operation, Transfer, TransferKind, TransferPriority, TransferStatus
from integrations.outbox import transfer_enqueue
from tests.factories.integrations import ConnectionFactory, TransferFactory

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db

_objects = count(5000)


def due(connection, *, minutes_ago=10, priority=TransferPriority.INTERACTIVE, **kwargs):
    return TransferFactory(
        connection=connection, object_id=next(_objects), priority=priority,
        next_attempt_at=timezone.now() - timedelta(minutes=minutes_ago), **kwargs,
    )  # fmt: skip


def claim_order(n):
    claimed = []
    for _ in range(n):
        transfer = engine.transfer_claim_next()
        claimed.append(transfer)
    return claimed


def test_a_single_invoice_is_not_held_behind_another_clients_backlog(connection):
    big = [due(connection, minutes_ago=60 - i) for i in range(5)]
    small = due(ConnectionFactory(), minutes_ago=1)  # queued last

    order = claim_order(3)

    assert order[0] == big[0]
    assert order[1] == small  # its client's turn comes second, not after the 5
    assert order[2] == big[1]


def test_clients_take_turns_least_recently_served_first(connection):
    other = ConnectionFactory()
    a = [due(connection, minutes_ago=30 - i) for i in range(3)]
    b = [due(other, minutes_ago=20 - i) for i in range(3)]

    order = claim_order(6)

    clients = [t.client_id for t in order]
    assert clients == [a[0].client_id, b[0].client_id] * 3


def test_one_client_alone_gets_every_turn(connection):
    mine = [due(connection, minutes_ago=10 - i) for i in range(4)]

    assert claim_order(4) == mine
    assert engine.transfer_claim_next() is None


def test_interactive_work_goes_before_the_same_clients_bulk_work(connection):
    batch = due(connection, minutes_ago=30, priority=TransferPriority.BULK)
    invoice = due(connection, minutes_ago=1)

    assert claim_order(2) == [invoice, batch]


def test_bulk_work_leaves_a_worker_for_interactive_work(connection, settings):
    settings.INTEGRATIONS_BULK_WORKERS = 1
    due(connection, priority=TransferPriority.BULK, status=TransferStatus.RUNNING,
        started_at=timezone.now())  # fmt: skip
    waiting_batch = due(ConnectionFactory(), priority=TransferPriority.BULK)

    assert engine.transfer_claim_next() is None  # the only bulk slot is taken

    invoice = due(ConnectionFactory(), minutes_ago=1)
    assert engine.transfer_claim_next() == invoice
    waiting_batch.refresh_from_db()
    assert waiting_batch.status == TransferStatus.PENDING


def test_with_every_bulk_slot_taken_a_client_is_offered_only_its_interactive_work(
    connection, settings
):
    """Even when no client waits with bulk work alone (another worker may hold the invoice
    locked, and the batch behind it must not take a worker then)."""
    from integrations.fairness import transfers_fair_choices

    settings.INTEGRATIONS_BULK_WORKERS = 1
    due(ConnectionFactory(), priority=TransferPriority.BULK, status=TransferStatus.RUNNING,
        started_at=timezone.now())  # fmt: skip
    invoice = due(connection, minutes_ago=1)
    due(connection, minutes_ago=30, priority=TransferPriority.BULK)

    [offered] = transfers_fair_choices(now=timezone.now())

    assert list(offered) == [invoice]


def test_default_bulk_slots_are_half_the_clusters_lanes(connection, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    settings.INTEGRATIONS_WORKER_LANES = 2
    settings.INTEGRATIONS_BULK_WORKERS = None
    for _ in range(2):
        due(ConnectionFactory(), priority=TransferPriority.BULK, status=TransferStatus.RUNNING,
            started_at=timezone.now())  # fmt: skip
    due(connection, priority=TransferPriority.BULK)

    assert engine.transfer_claim_next() is None


def test_claim_next_leaves_transfers_not_yet_due_and_disabled_connections(connection):
    due(connection, minutes_ago=-5)
    due(ConnectionFactory(enabled=False))
    assert engine.transfer_claim_next() is None


@pytest.mark.parametrize(
    ("kind", "operation", "params", "expected"),
    [
        (TransferKind.INVOICE, Operation.CREATE, None, TransferPriority.INTERACTIVE),
        (TransferKind.CUSTOMER, Operation.UPSERT, None, TransferPriority.INTERACTIVE),
        (TransferKind.CONNECTION_TEST, Operation.UPSERT, None, TransferPriority.INTERACTIVE),
        (TransferKind.POS_BATCH, Operation.BATCH, None, TransferPriority.BULK),
        (TransferKind.INITIAL_SYNC, Operation.IMPORT, None, TransferPriority.BULK),
        (TransferKind.EXPENSE_IMPORT, Operation.IMPORT, None, TransferPriority.BULK),
        (TransferKind.INVOICE, Operation.CREATE, {"retransfer_by": "anna"}, TransferPriority.BULK),
    ],
)
def test_priority_follows_from_kind_operation_and_params(kind, operation, params, expected):
    assert transfer_priority_for(kind=kind, operation=operation, params=params) == expected


def test_work_queued_inside_bulk_work_is_bulk(connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), bulk_work():
        [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
    assert transfer.priority == TransferPriority.BULK
    assert transfer_priority_for(
        kind=TransferKind.CUSTOMER, operation=Operation.UPSERT, params=None
    ) == TransferPriority.INTERACTIVE  # only inside the block


def test_a_bulk_transfer_queued_again_by_a_user_becomes_interactive(
    connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        with bulk_work():
            [first] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
        [again] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
    assert again.pk == first.pk
    assert Transfer.objects.get(pk=first.pk).priority == TransferPriority.INTERACTIVE


def test_a_requeued_failure_is_bulk(connection, django_capture_on_commit_callbacks):
    failed = due(connection, status=TransferStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=False):
        engine.transfer_requeue(transfer=failed)
    failed.refresh_from_db()
    assert (failed.status, failed.priority) == (TransferStatus.PENDING, TransferPriority.BULK)


def test_dispatch_runs_every_due_transfer_in_fair_order(connection, http):
    http.post(f"{BASE_URL}/records", json={"id": 7}, status=201)
    other = ConnectionFactory()
    first = TransferFactory(connection=connection, next_attempt_at=timezone.now())
    second = TransferFactory(connection=other, next_attempt_at=timezone.now())

    assert engine.transfers_dispatch(seconds=60) == 2

    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (TransferStatus.SUCCEEDED, TransferStatus.SUCCEEDED)


class TestSweepInACluster:
    @pytest.fixture
    def cluster(self, monkeypatch, settings):
        from django_q.conf import Conf

        monkeypatch.setattr(Conf, "SYNC", False)
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 4}
        sent = []
        monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: sent.append(a))
        outbox._wakeups.clear()
        return sent

    def test_a_long_backlog_gets_one_wake_up_per_worker_not_one_task_each(
        self, connection, cluster, monkeypatch
    ):
        monkeypatch.setattr(outbox, "tasks_waiting", lambda: 0)
        for _ in range(30):
            due(connection)

        assert engine.transfers_sweep()["queued"] == 4
        assert len(cluster) == 4

    def test_no_wake_up_while_enough_tasks_wait_in_the_queue(
        self, connection, cluster, monkeypatch
    ):
        monkeypatch.setattr(outbox, "tasks_waiting", lambda: 4)
        for _ in range(30):
            due(connection, queued_at=timezone.now() - timedelta(minutes=5))

        assert engine.transfers_sweep()["queued"] == 0
        assert cluster == []

    def test_a_burst_of_enqueues_sends_at_most_one_wake_up_per_worker_and_second(
        self, connection, cluster
    ):
        for _ in range(20):
            outbox.transfer_schedule(due(connection).pk)
        assert len(cluster) == 4


def test_an_invoice_is_not_held_behind_a_round_of_other_clients_bulk_work(connection, settings):
    """200 clients' nightly batches wait; a client whose own batch just started finalizes an
    invoice: interactive work has its own round, so the invoice goes next, then the batches
    (turn about with interactive work)."""
    settings.INTEGRATIONS_BULK_WORKERS = 10
    due(connection, priority=TransferPriority.BULK, status=TransferStatus.SUCCEEDED,
        started_at=timezone.now())  # its batch was the last work to start  # fmt: skip
    batches = [due(ConnectionFactory(), minutes_ago=30 - i, priority=TransferPriority.BULK)
               for i in range(5)]  # fmt: skip
    invoice = due(connection, minutes_ago=1)

    assert claim_order(3) == [invoice, batches[0], batches[1]]


def test_bulk_and_interactive_work_take_turns(connection, settings):
    settings.INTEGRATIONS_BULK_WORKERS = 10
    invoices = [due(connection, minutes_ago=20 - i) for i in range(3)]
    batches = [due(ConnectionFactory(), minutes_ago=30 - i, priority=TransferPriority.BULK)
               for i in range(3)]  # fmt: skip

    order = claim_order(4)

    assert [t.priority for t in order] == [TransferPriority.INTERACTIVE, TransferPriority.BULK] * 2
    assert order == [invoices[0], batches[0], invoices[1], batches[1]]
