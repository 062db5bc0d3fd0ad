"""The engine side of exactly once: database faults are transient, no transaction or row lock is
held while a request waits for its answer, one worker exports an object at a time, and the
migration keeps the references that were already sent."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import OperationalError
from django.db import connection as db_connection
from django.utils import timezone

from integrations.documents import export_lease
from integrations.engine import transfer_process
from integrations.errors import Deferred
from integrations.models import (
    AttemptOutcome,
    ExportLease,
    Transfer,
    TransferKind,
    TransferStatus,
)
from integrations.outbox import transfer_enqueue
from tests.factories import FinalizedInvoiceFactory

from .testconnector import BASE_URL, CustomerExporter


def queued(connection) -> Transfer:
    [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
    return transfer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault", ["database is locked", "the connection is closed", "server closed the connection"]
)
def test_a_database_fault_during_an_export_is_retried_not_failed(
    connection, monkeypatch, fault
):
    def broken(self, payload):
        raise OperationalError(fault)

    monkeypatch.setattr(CustomerExporter, "create", broken)
    transfer = queued(connection)

    transfer_process(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING
    assert transfer.next_attempt_at > timezone.now()
    assert "Database fault" in transfer.last_error and fault in transfer.last_error
    assert transfer.attempt_set.get().outcome == AttemptOutcome.RETRY


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_request_waits_for_its_answer(connection, http):
    """claim → release → call → record: the write goes out with autocommit on, so a user's save
    of the same row never waits for PowerOffice's answer."""
    seen = []

    def answer(request):
        seen.append(db_connection.in_atomic_block)
        return 201, {}, '{"id": 7}'

    http.add_callback("POST", f"{BASE_URL}/records", callback=answer)
    transfer = queued(connection)
    transfer_process(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
    assert seen == [False]
    assert not ExportLease.objects.exists()  # released after the export


@pytest.mark.django_db
def test_a_second_transfer_of_the_same_object_waits_while_the_first_holds_the_lease(
    connection,
):
    first, second = Transfer.objects.create(
        client=connection.client, connection=connection, kind=TransferKind.CUSTOMER,
        status=TransferStatus.RUNNING, attempts=1,
    ), Transfer.objects.create(
        client=connection.client, connection=connection, kind=TransferKind.CUSTOMER,
        status=TransferStatus.SUCCEEDED, attempts=1,
    )  # fmt: skip

    class Context:
        def __init__(self, transfer):
            self.transfer, self.connection, self.leases = transfer, connection, set()

    client = connection.client
    with export_lease(context=Context(first), obj=client):
        second.status = TransferStatus.RUNNING
        second.save()
        with pytest.raises(Deferred, match="being sent by another transfer"):
            with export_lease(context=Context(second), obj=client):
                pass
        first.status = TransferStatus.FAILED  # its worker died: the lease can be taken over
        first.save()
        with export_lease(context=Context(second), obj=client):
            assert ExportLease.objects.get().transfer_id == second.pk


@pytest.mark.django_db
def test_the_migration_gives_sent_documents_exactly_the_reference_they_were_sent_with():
    migration = importlib.import_module(
        "accounting.migrations.0006_document_transfer_references"
    )
    invoice = FinalizedInvoiceFactory()
    old = f"LB-{invoice.client.organization_number}-INV-{invoice.number}"
    type(invoice).objects.filter(pk=invoice.pk).update(transfer_reference="")

    migration.fill_references(apps, schema_editor=None)

    invoice.refresh_from_db()
    assert invoice.transfer_reference == old
