from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.models import TransferStatus
from tests.factories.integrations import ConnectionFactory, TransferFactory

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db


def test_process_transfers_runs_due_transfers_once(connection, http):
    http.post(f"{BASE_URL}/records", json={"id": 12}, status=201)
    transfer = TransferFactory(connection=connection)
    out = StringIO()

    call_command("process_transfers", stdout=out)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED
    assert "succeeded: 1" in out.getvalue()


def test_requeue_failed_takes_client_by_organization_number_and_kind(connection):
    TransferFactory(connection=connection, status=TransferStatus.FAILED)
    other = TransferFactory(connection=ConnectionFactory(), status=TransferStatus.FAILED)
    out = StringIO()

    call_command("requeue_failed", "--client", connection.client.organization_number,
                 "--kind", "customer", stdout=out)

    other.refresh_from_db()
    assert "1 failed transfer re-queued." in out.getvalue()
    assert other.status == TransferStatus.FAILED


def test_requeue_failed_rejects_an_unknown_client(db):
    with pytest.raises(CommandError, match="No single client"):
        call_command("requeue_failed", "--client", "999999999")
