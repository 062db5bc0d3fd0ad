"""Issue 5 end to end: finalize an invoice in Ledgerbridge and watch customer, project, voucher
and PDF arrive in the PowerOffice sandbox over HTTP, exactly once, through the real engine
(Django-Q2 in sync mode runs each transfer when the finalizing transaction commits)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounting.services import invoice_credit, invoice_finalize, record_save
from integrations.models import Connection, Transfer, TransferKind, TransferStatus
from integrations.poweroffice.lookups import lookups_clear
from integrations.retransfer import invoices_enqueue_pending, records_retransfer
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    UserFactory,
)

from .conftest import process_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INVOICE_DATE = dt.date(2026, 3, 2)


@pytest.fixture
def connection(po_connection):
    return po_connection


@pytest.fixture(autouse=True)
def fast_client_retries(monkeypatch):
    from integrations.poweroffice.client import PowerOfficeClient

    monkeypatch.setattr(PowerOfficeClient, "retry_backoff", 0.01)


def make_invoice(connection, *, customer=None, lines=2, project=True):
    client = connection.client
    customer = customer or CustomerFactory(client=client, number=10100)
    invoice = InvoiceFactory(
        client=client,
        customer=customer,
        project=ProjectFactory(client=client, customer=customer) if project else None,
        invoice_date=INVOICE_DATE,
    )
    for _line in range(lines):
        InvoiceLineFactory(invoice=invoice, quantity=Decimal("2"), unit_price=Decimal("500.00"))
    return invoice




def books(po_sandbox):
    return po_sandbox.books()


def transfer_of(invoice) -> Transfer:
    return Transfer.objects.get(object_id=invoice.pk, kind__in=["invoice", "credit_note"])


def steps_of(transfer) -> list[tuple[str, str]]:
    return [(s["step"], s["action"]) for a in transfer.attempt_set.all() for s in a.steps]


def test_finalized_invoice_arrives_once_with_customer_project_and_pdf(connection, po_sandbox):
    invoice = make_invoice(connection)

    invoice_finalize(invoice=invoice, by=None)  # commits: the transfer runs at once
    process_until_done()

    state = books(po_sandbox)
    transfer = transfer_of(invoice)
    assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
    assert len(state.register("Customers").rows) == 1
    assert len(state.register("Projects").rows) == 1
    [voucher] = state.vouchers.values()
    assert voucher["InvoiceNo"] == str(invoice.number)
    assert voucher["CurrencyAmount"] == 2500.0  # 2 lines of 2 × 500 + 25 % VAT
    assert voucher["Cid"] == invoice.kid and voucher["DueDate"] == invoice.due_date.isoformat()
    assert state.documents[voucher["Id"]][1].startswith(b"%PDF")
    assert transfer.external_id == voucher["Id"]
    steps = {s["step"]: s for a in transfer.attempt_set.all() for s in a.steps}
    assert {"customer", "project", "voucher", "attachment"} <= set(steps)
    assert steps["voucher"]["external_id"] == voucher["Id"]


def test_storms_of_429_and_500_are_waited_out_and_everything_arrives_once(connection, po_sandbox):
    invoices = [
        make_invoice(connection, customer=CustomerFactory(client=connection.client))
        for _invoice in range(3)
    ]
    po_sandbox.control("faults", {"fail_next": 6, "fail_status": 429})

    for invoice in invoices:
        invoice_finalize(invoice=invoice, by=None)
        po_sandbox.control("faults", {"fail_next": 5, "fail_status": 500})
    process_until_done()

    state = books(po_sandbox)
    assert len(state.vouchers) == 3 and len(state.documents) == 3
    assert len(state.register("Customers").rows) == 3
    assert sorted(v["InvoiceNo"] for v in state.vouchers.values()) == sorted(
        str(i.number) for i in invoices
    )
    assert po_sandbox.requests(status=429) and po_sandbox.requests(status=500)
    assert all(transfer_of(i).status == TransferStatus.SUCCEEDED for i in invoices)


def test_credit_note_is_posted_negative_and_names_the_invoice_it_credits(connection, po_sandbox):
    invoice = make_invoice(connection)
    invoice_finalize(invoice=invoice, by=None)
    credit_note = invoice_credit(invoice=invoice, by=None)

    invoice_finalize(invoice=credit_note, by=None)
    process_until_done()

    state = books(po_sandbox)
    note = next(v for v in state.vouchers.values() if v["InvoiceNo"] == str(credit_note.number))
    assert note["CurrencyAmount"] == -2500.0
    assert note["CustomMatchingReference"] == str(invoice.number)
    assert f"credits invoice {invoice.number}" in note["Description"]
    assert transfer_of(credit_note).status == TransferStatus.SUCCEEDED
    assert len(state.register("Customers").rows) == 1  # the customer was not sent again


def test_missing_external_vat_code_is_refused_at_finalize_unnumbered(connection, po_sandbox):
    from accounting.exceptions import InvoiceNotFinalizable

    po_sandbox.control("requests", method="DELETE")
    invoice = make_invoice(connection)
    bare = AccountFactory(client=connection.client, number=3900, external_vat_code="")
    InvoiceLineFactory(invoice=invoice, account=bare)

    with pytest.raises(InvoiceNotFinalizable, match=r"line 3: account 3900 has no external VAT"):
        invoice_finalize(invoice=invoice, by=None)

    invoice.refresh_from_db()
    assert invoice.number is None and not Transfer.objects.filter(object_id=invoice.pk).exists()
    assert po_sandbox.requests() == []


def test_vat_code_cleared_after_finalize_fails_the_transfer_before_any_call(
    connection, po_sandbox
):
    po_sandbox.control("requests", method="DELETE")
    invoice = make_invoice(connection)
    bare = AccountFactory(client=connection.client, number=3900, external_vat_code="5")
    InvoiceLineFactory(invoice=invoice, account=bare)
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    invoice_finalize(invoice=invoice, by=None)
    bare.external_vat_code = ""
    bare.save()
    Connection.objects.filter(pk=connection.pk).update(enabled=True)

    invoices_enqueue_pending(client=connection.client)
    process_until_done()

    transfer = transfer_of(invoice)
    assert transfer.status == TransferStatus.FAILED
    assert f"Invoice {invoice.number} line 3: account 3900 has no external VAT code" in (
        transfer.last_error
    )
    assert books(po_sandbox).vouchers == {}


def test_changed_customer_is_updated_not_duplicated(connection, po_sandbox):
    customer = CustomerFactory(client=connection.client, number=10200, name="Fjord AS")
    record_save(record=customer)
    process_until_done()

    customer.name = "Fjord Catering AS"
    customer.city = "Bergen"
    record_save(record=customer)
    process_until_done()

    rows = list(books(po_sandbox).register("Customers").rows.values())
    assert len(rows) == 1
    assert rows[0]["Name"] == "Fjord Catering AS"
    assert rows[0]["MailAddress"]["City"] == "Bergen"
    patches = po_sandbox.requests("/Customers/", status=200)
    assert [r["method"] for r in patches].count("PATCH") == 1


def test_retransfer_sends_known_customers_again_and_reports_unknown_numbers(connection, po_sandbox):
    customer = CustomerFactory(client=connection.client, number=10300, state="inactive")
    record_save(record=customer)
    process_until_done()

    report = records_retransfer(
        client=connection.client, kind="customers", numbers="10300, 99999", by=UserFactory()
    )
    process_until_done()

    assert report.queued == ["10300"] and report.unknown == ["99999"]
    assert len(books(po_sandbox).register("Customers").rows) == 1
    transfers = Transfer.objects.filter(kind=TransferKind.CUSTOMER, object_id=customer.pk)
    assert transfers.count() == 2
    assert all(t.status == TransferStatus.SUCCEEDED for t in transfers)


def test_demo_connects_to_the_sandbox_and_its_invoices_arrive_once(po_sandbox, settings):
    from accounting.demo import demo_setup

    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    lookups_clear()
    first = demo_setup()
    process_until_done()
    second = demo_setup()  # idempotent: nothing new is queued or posted
    process_until_done()

    state = books(po_sandbox)
    assert sorted(v["InvoiceNo"] for v in state.vouchers.values()) == ["10001", "10002", "10003"]
    assert len(state.documents) == 3
    assert len(state.register("Departments").rows) == 2
    assert any("3 invoices queued" in line for line in first.lines)
    assert any("0 invoices queued" in line for line in second.lines)
