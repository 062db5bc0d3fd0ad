"""Exactly once, whatever PowerOffice Go answers (issue 15), end to end over HTTP.

Each test runs under every duplicate behaviour the sandbox offers (a repeated reference refused
with a field error, refused in other words, or accepted and stored twice): what PowerOffice Go
documents does not say which is true, so the product must hold under all of them. Doubles are
counted from what the sandbox stored, including writes whose answer it dropped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounting.services import (
    invoice_credit,
    invoice_finalize,
    record_save,
    sales_order_mark_invoiced,
)
from integrations.models import DocumentSend, Transfer, TransferKind, TransferStatus
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SalesOrderFactory,
)

from .conftest import ODD_WRITE_ANSWERS, process_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INVOICE_DATE = dt.date(2026, 3, 2)
VOUCHER_POST = "/Vouchers/OutgoingInvoiceJournals"


@pytest.fixture
def connection(po_connection):
    return po_connection


def make_invoice(connection, *, number=10100):
    client = connection.client
    customer = CustomerFactory(client=client, number=number)
    invoice = InvoiceFactory(
        client=client,
        customer=customer,
        project=ProjectFactory(client=client, customer=customer),
        invoice_date=INVOICE_DATE,
    )
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("2"), unit_price=Decimal("500.00"))
    return invoice




def transfer_of(document, kind=TransferKind.INVOICE) -> Transfer:
    return Transfer.objects.filter(object_id=document.pk, kind=kind).latest("pk")


def steps_of(transfer) -> list[tuple[str, str]]:
    return [(s["step"], s["action"]) for a in transfer.attempt_set.all() for s in a.steps]


def stored_with(po_sandbox, reference: str) -> list[dict]:
    """Every voucher the sandbox stored with this reference (a dropped answer included)."""
    dump = po_sandbox.control("books", method="GET")
    return [v for v in dump["vouchers"] if v["ExternalImportReference"] == reference]


def test_a_lost_answer_to_the_voucher_post_ends_with_one_voucher_bound_and_its_pdf(
    connection, po_sandbox, po_duplicates
):
    po_sandbox.control("faults", {"drop_rate": 1.0, "paths": [VOUCHER_POST]})
    invoice = make_invoice(connection)

    invoice_finalize(invoice=invoice, by=None)

    transfer = transfer_of(invoice)
    assert transfer.status == TransferStatus.PENDING
    assert "the request was sent" in transfer.last_error
    assert "could not connect" not in transfer.last_error
    assert "will be checked" in transfer.last_error
    invoice.refresh_from_db()
    assert DocumentSend.objects.get().reference == invoice.transfer_reference

    po_sandbox.control("faults", {"drop_rate": 0.0, "paths": []})
    process_until_done()

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
    [voucher] = stored_with(po_sandbox, invoice.transfer_reference)
    assert transfer.external_id == voucher["Id"]
    assert ("look-up", "found") in steps_of(transfer)
    assert len(po_sandbox.requests(VOUCHER_POST)) == 1  # never posted again
    assert voucher["Id"] in po_sandbox.books().documents  # the PDF arrived too
    assert po_sandbox.control("books", method="GET")["doubled"] == []
    assert not DocumentSend.objects.exists()


@pytest.mark.parametrize("answer", ODD_WRITE_ANSWERS)
def test_a_success_without_a_usable_body_is_looked_up_not_stored_as_none(
    connection, po_sandbox, po_duplicates, answer
):
    """Every create is answered without its Id (or empty, or not JSON) for the whole run: the
    customer and project are found by number, the voucher by its reference."""
    po_sandbox.control("config", {"write_answer": answer})
    invoice = make_invoice(connection)

    invoice_finalize(invoice=invoice, by=None)
    process_until_done()

    transfer = transfer_of(invoice)
    assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
    invoice.refresh_from_db()
    [voucher] = stored_with(po_sandbox, invoice.transfer_reference)
    assert transfer.external_id == voucher["Id"] != "None"
    books = po_sandbox.books()
    assert len(books.register("Customers").rows) == 1
    assert len(books.register("Projects").rows) == 1
    assert po_sandbox.control("books", method="GET")["doubled"] == []


def test_correcting_the_org_number_before_the_retry_posts_no_second_voucher(
    connection, po_sandbox, po_duplicates
):
    po_sandbox.control("faults", {"drop_rate": 1.0, "paths": [VOUCHER_POST]})
    invoice = make_invoice(connection)
    invoice_finalize(invoice=invoice, by=None)
    po_sandbox.control("faults", {"drop_rate": 0.0, "paths": []})
    client = connection.client
    client.organization_number = "987654321"
    client.save()

    process_until_done()

    invoice.refresh_from_db()
    assert len(stored_with(po_sandbox, invoice.transfer_reference)) == 1
    assert len(po_sandbox.books().vouchers) == 1
    assert transfer_of(invoice).status == TransferStatus.SUCCEEDED


def test_a_credit_note_of_an_invoice_that_failed_says_so_and_is_not_posted(
    connection, po_sandbox, po_duplicates
):
    po_sandbox.control("config", {"lock_date": "2026-03-31"})  # the invoice is dated before
    invoice = make_invoice(connection)
    invoice_finalize(invoice=invoice, by=None)
    assert transfer_of(invoice).status == TransferStatus.FAILED

    credit_note = invoice_credit(invoice=invoice, by=None)
    credit_note.invoice_date = dt.date(2026, 4, 2)
    credit_note.save()
    invoice_finalize(invoice=credit_note, by=None)
    process_until_done()

    transfer = transfer_of(credit_note, TransferKind.CREDIT_NOTE)
    assert transfer.status == TransferStatus.FAILED
    assert invoice.label in transfer.last_error and "failed" in transfer.last_error
    assert not po_sandbox.books().vouchers


def test_a_credit_note_waits_for_the_invoice_it_credits_then_follows_it(
    connection, po_sandbox, po_duplicates
):
    po_sandbox.control("faults", {"error_rate": 1.0, "paths": [VOUCHER_POST]})
    invoice = make_invoice(connection)
    invoice_finalize(invoice=invoice, by=None)
    credit_note = invoice_credit(invoice=invoice, by=None)
    invoice_finalize(invoice=credit_note, by=None)

    waiting = transfer_of(credit_note, TransferKind.CREDIT_NOTE)
    assert waiting.status == TransferStatus.PENDING
    assert "waits until" in waiting.last_error and invoice.label in waiting.last_error
    assert waiting.attempts == 0  # waiting uses up no attempt

    po_sandbox.control("faults", {"error_rate": 0.0, "paths": []})
    process_until_done()

    invoice.refresh_from_db()
    credit_note.refresh_from_db()
    first = stored_with(po_sandbox, invoice.transfer_reference)
    second = stored_with(po_sandbox, credit_note.transfer_reference)
    assert len(first) == len(second) == 1
    assert first[0]["VoucherNo"] < second[0]["VoucherNo"]


def test_a_lost_answer_to_a_sales_order_draft_creates_one_draft(
    connection, po_sandbox, po_duplicates
):
    client = connection.client
    order = SalesOrderFactory(client=client, customer=CustomerFactory(client=client), lines=1)
    for line in order.lines.all():
        record_save(record=line.product)
    po_sandbox.control("faults", {"drop_rate": 1.0, "paths": ["/SalesOrders/Complete"]})

    sales_order_mark_invoiced(order=order, by=None)
    transfer = transfer_of(order, TransferKind.SALES_ORDER)
    assert transfer.status == TransferStatus.PENDING and "was sent" in transfer.last_error

    po_sandbox.control("faults", {"drop_rate": 0.0, "paths": []})
    process_until_done()

    order.refresh_from_db()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
    drafts = [o for o in po_sandbox.books().sales_orders.values()
              if o["ExternalImportReference"] == order.transfer_reference]  # fmt: skip
    assert len(drafts) == 1 and transfer.external_id == drafts[0]["Id"]
