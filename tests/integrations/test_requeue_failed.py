"""`manage.py requeue_failed` / transfers_requeue_failed: every match, in batches, with the task
queue running each re-queued transfer inline (Django-Q2 sync mode, as in tests and `Q_SYNC`)."""

import json
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from accounting.models import Client
from integrations import engine
from integrations.models import Transfer, TransferKind, TransferStatus
from tests.factories.accounting import ClientFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory

from .testconnector import BASE_URL

MORE_THAN_A_CHUNK = 2_020  # Django's iterator() reads 2,000 rows per chunk


def _failed_transfers(connection, count: int) -> None:
    client_type = ContentType.objects.get_for_model(Client)
    now = timezone.now()
    Transfer.objects.bulk_create(
        Transfer(
            connection=connection, client=connection.client, kind=TransferKind.CUSTOMER,
            content_type=client_type, object_id=100_000 + n, object_repr=f"customer {n}",
            status=TransferStatus.FAILED, attempts=3, last_error="refused", finished_at=now,
        )
        for n in range(count)
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_requeue_failed_requeues_every_failed_transfer_past_the_first_chunk(connector, monkeypatch):
    from django_q.conf import Conf

    # Django-Q2 prunes its own result table on every inline task; that is not under test.
    monkeypatch.setattr(Conf, "SAVE_LIMIT", 0)
    # A broken connection: each re-queued transfer goes through the task queue inline but
    # waits (not claimed), so the figures are the command's alone.
    connection = ConnectionFactory(broken_since=timezone.now())
    _failed_transfers(connection, MORE_THAN_A_CHUNK)
    out = StringIO()

    call_command("requeue_failed", stdout=out)

    assert f"{MORE_THAN_A_CHUNK} failed transfers re-queued." in out.getvalue()
    assert not Transfer.objects.filter(status=TransferStatus.FAILED).exists()
    assert Transfer.objects.filter(
        status=TransferStatus.PENDING, attempts=0, finished_at__isnull=True
    ).count() == MORE_THAN_A_CHUNK


@pytest.mark.django_db(transaction=True)
def test_requeue_failed_runs_each_transfer_through_the_queue_after_its_batch_commits(
    connector, http
):
    ids = iter(range(7, 100))
    http.add_callback("POST", f"{BASE_URL}/records",
                      callback=lambda request: (201, {}, json.dumps({"id": next(ids)})))
    connection = ConnectionFactory()
    transfers = [
        TransferFactory(connection=connection, object_id=ClientFactory().pk,
                        status=TransferStatus.FAILED)
        for _ in range(3)
    ]  # fmt: skip
    other_client = TransferFactory(status=TransferStatus.FAILED)

    count = engine.transfers_requeue_failed(client=connection.client, batch_size=2)

    assert count == 3
    for transfer in transfers:
        transfer.refresh_from_db()
        assert transfer.status == TransferStatus.SUCCEEDED  # ran inline once its batch committed
        assert transfer.attempt_set.count() == 1
    other_client.refresh_from_db()
    assert other_client.status == TransferStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_requeue_failed_leaves_a_second_failure_of_the_same_object_to_the_first(connector):
    connection = ConnectionFactory(broken_since=timezone.now())
    first, second = (
        TransferFactory(connection=connection, status=TransferStatus.FAILED) for _ in range(2)
    )

    assert engine.transfers_requeue_failed() == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (TransferStatus.PENDING, TransferStatus.FAILED)
