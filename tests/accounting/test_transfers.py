"""Domain writes queue their transfers in the same transaction (transactional outbox)."""

from decimal import Decimal

import pytest

from accounting.models import Invoice
from accounting.services import invoice_credit, invoice_finalize, record_save
from integrations import registry
from integrations.base import BaseConnector
from integrations.models import Connection, Transfer, TransferKind
from integrations.outbox import Operation
from tests.factories import CustomerFactory, FinalizedInvoiceFactory, InvoiceFactory, ProjectFactory

pytestmark = pytest.mark.django_db


class RecordingConnector(BaseConnector):
    """Handles every kind, exports nothing: enough for transfer_enqueue to queue a row."""

    system = "azets"

    def handles(self, kind: str) -> bool:
        return True


@pytest.fixture
def connected():
    """Factory: an enabled connection for a client, served by the recording connector."""
    with registry.override(RecordingConnector()):
        yield lambda client: Connection.objects.create(client=client, system="azets", enabled=True)


def transfers_of(obj):
    return list(
        Transfer.objects.filter(object_id=obj.pk).values_list("kind", "operation", "status")
    )


class TestQueuedTransfers:
    def test_saving_a_customer_queues_a_customer_upsert(self, connected):
        customer = CustomerFactory.build(client=CustomerFactory().client, number=777)
        connected(customer.client)
        record_save(record=customer)
        assert transfers_of(customer) == [(TransferKind.CUSTOMER, Operation.UPSERT, "pending")]

    def test_saving_a_project_twice_keeps_one_pending_transfer(self, connected):
        project = ProjectFactory()
        connected(project.client)
        record_save(record=project)
        project.name = "Renamed"
        record_save(record=project)
        assert transfers_of(project) == [(TransferKind.PROJECT, Operation.UPSERT, "pending")]

    def test_finalizing_queues_an_invoice_and_a_credit_note_their_own_kind(self, connected):
        invoice = InvoiceFactory(lines=1)
        connected(invoice.client)
        invoice_finalize(invoice=invoice, by=None)
        credit_note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        assert transfers_of(invoice) == [(TransferKind.INVOICE, Operation.CREATE, "pending")]
        assert transfers_of(credit_note) == [
            (TransferKind.CREDIT_NOTE, Operation.CREATE, "pending")
        ]

    def test_a_draft_credit_note_queues_nothing(self, connected):
        invoice = FinalizedInvoiceFactory()
        connected(invoice.client)
        credit_note = invoice_credit(invoice=invoice, by=None)
        assert transfers_of(credit_note) == []


class TestAtomicity:
    def test_failing_enqueue_leaves_the_invoice_draft_and_unnumbered(self, monkeypatch):
        def refuse(**kwargs):
            raise RuntimeError("queue unavailable")

        monkeypatch.setattr("accounting.services.invoices.transfer_enqueue", refuse)
        invoice = InvoiceFactory(lines=1)
        with pytest.raises(RuntimeError):
            invoice_finalize(invoice=invoice, by=None)
        invoice.refresh_from_db()
        assert (invoice.state, invoice.number) == (Invoice.State.DRAFT, None)
        invoice.client.refresh_from_db()
        assert invoice.client.next_invoice_number == 10001

    def test_failing_enqueue_does_not_save_the_customer(self, monkeypatch):
        def refuse(**kwargs):
            raise RuntimeError("queue unavailable")

        monkeypatch.setattr("accounting.services.records.transfer_enqueue", refuse)
        customer = CustomerFactory()
        customer.discount_percent = Decimal("10")
        with pytest.raises(RuntimeError):
            record_save(record=customer)
        customer.refresh_from_db()
        assert customer.discount_percent == Decimal("0")
