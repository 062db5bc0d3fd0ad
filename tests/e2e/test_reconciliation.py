"""Reconciliation end to end against the PowerOffice sandbox (issue 16): every class produced for
real over HTTP, the stranded voucher bound, the page and the CSV showing the rest, the checklist
red, finalize refusing a line on an account missing there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from accounting.exceptions import InvoiceNotFinalizable
from accounting.services import invoice_finalize
from integrations.checklist import MISSING, client_checklist
from integrations.links import link_for_object
from integrations.models import Connection, Transfer, TransferKind, TransferStatus
from integrations.reconciliation.export import reconciliation_export
from integrations.reconciliation.models import Finding
from integrations.reconciliation.services import (
    reconciliation_registers_retransfer,
    reconciliation_run,
)
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    UserFactory,
)

from .conftest import process_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)
PERIOD = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}
VOUCHER_POST = "/Vouchers/OutgoingInvoiceJournals"
READ_ONLY = ("Id", "VoucherNo", "CreatedDateTimeOffset", "_kind")


@pytest.fixture
def connection(po_connection):
    return po_connection


def finalized(connection, number: int, amount="1000.00"):
    customer = CustomerFactory(client=connection.client, number=number)
    invoice = InvoiceFactory(client=connection.client, customer=customer, invoice_date=DAY)
    InvoiceLineFactory(invoice=invoice, unit_price=Decimal(amount))
    return invoice_finalize(invoice=invoice, by=None)




def voucher_of(po_sandbox, reference: str) -> dict:
    [voucher] = [v for v in po_sandbox.books().vouchers.values()
                 if v.get("ExternalImportReference") == reference]  # fmt: skip
    return voucher


def repost(po_client, voucher: dict, **changes) -> None:
    """Post a voucher straight into the sandbox books (as someone, or a second send, would)."""
    payload = {k: v for k, v in voucher.items() if k not in READ_ONLY}
    po_client.post_outgoing_invoice({**payload, **changes})


@pytest.fixture
def seeded(connection, po_sandbox, po_client):
    """One document of every class, made through the real HTTP paths."""
    client = connection.client
    AccountFactory(client=client, number=3600, external_vat_code="3")  # not in PowerOffice Go
    AccountFactory(client=client, number=3030, external_vat_code="3")  # "31" there
    changed = finalized(connection, 10100)  # amount changed there, its customer renumbered
    voucher = voucher_of(po_sandbox, changed.transfer_reference)
    entry = next(e for e in po_sandbox.books().ledger if e["VoucherId"] == voucher["Id"])
    entry["CurrencyAmount"] = entry["Amount"] = 999.0
    customer_id = link_for_object(connection=connection, obj=changed.customer).external_id
    po_client.update_customer(int(customer_id), [
        {"op": "replace", "path": "/Number", "value": 10999}])  # fmt: skip

    po_sandbox.control("faults", {"drop_rate": 1.0, "paths": [VOUCHER_POST]})
    stranded = finalized(connection, 10200)  # posted there, the answer lost
    po_sandbox.control("faults", {"drop_rate": 0.0, "paths": []})
    Transfer.objects.filter(object_id=stranded.pk, kind=TransferKind.INVOICE).update(
        status=TransferStatus.FAILED, last_error="gave up")  # fmt: skip

    po_sandbox.control("config", {"duplicates": "accept"})
    doubled = finalized(connection, 10300)
    repost(po_client, voucher_of(po_sandbox, doubled.transfer_reference))
    code = client.reference_code
    repost(po_client, voucher, ExternalImportReference=f"LB-{code}-INV-99999", InvoiceNo="99999")

    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    missing = finalized(connection, 10400)  # not sent: its transfer waits for the connection
    Connection.objects.filter(pk=connection.pk).update(enabled=True)
    matched = finalized(connection, 10500)
    return {"changed": changed, "stranded": stranded, "doubled": doubled, "missing": missing,
            "matched": matched}  # fmt: skip


def test_every_class_is_found_the_stranded_voucher_bound_and_the_rest_shown(
    connection, po_sandbox, seeded, client
):
    run = reconciliation_run(connection=connection, started_by="test", **PERIOD)

    assert run.status == "done", run.note
    assert run.counts == {
        Finding.MATCHED: 1, Finding.DIFFERENT: 1, Finding.BOUND_HERE: 1, Finding.DOUBLED: 1,
        Finding.MISSING_THERE: 1, Finding.UNKNOWN_HERE: 1, Finding.REGISTER_CHANGED: 1,
        Finding.ACCOUNT_MISSING: 1, Finding.VAT_CODE_DIFFERS: 1,
    }  # fmt: skip
    items = {item.finding: item for item in run.items.all()}
    assert items[Finding.DIFFERENT].number == str(seeded["changed"].number)
    assert ["amount_incl_vat", "1250.00", "999.00"] in items[Finding.DIFFERENT].differences
    assert items[Finding.DOUBLED].number == str(seeded["doubled"].number)
    # finalized while the connection was disabled: its transfer waits for the connection
    assert items[Finding.MISSING_THERE].detail == "Not sent: its transfer is pending."
    assert items[Finding.UNKNOWN_HERE].number == "99999"
    assert items[Finding.REGISTER_CHANGED].differences == [["Number", "10100", "10999"]]
    assert items[Finding.ACCOUNT_MISSING].number == "3600"
    assert items[Finding.VAT_CODE_DIFFERS].differences == [["external_vat_code", "3", "31"]]

    # The stranded voucher: bound, its transfer succeeded with a note, its PDF uploaded.
    stranded = seeded["stranded"]
    voucher = voucher_of(po_sandbox, stranded.transfer_reference)
    assert link_for_object(connection=connection, obj=stranded).external_id == voucher["Id"]
    transfer = Transfer.objects.get(object_id=stranded.pk, kind=TransferKind.INVOICE)
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.external_id == voucher["Id"]
    assert "reconciliation run" in transfer.result["reconciliation"]
    assert voucher["Id"] in po_sandbox.books().documents
    assert items[Finding.BOUND_HERE].transfer_id == transfer.pk

    # The CSV and the page show the rest; one e-mail names the items.
    csv = reconciliation_export(run=run, file_format="csv")[0].decode("utf-8-sig")
    for needle in ("doubled there", "99999", "3600", "10999", "missing in the accounting"):
        assert needle in csv
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(reverse("admin:integrations_reconciliationrun_change", args=[run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'/admin/integrations/transfer/{transfer.pk}/change/' in html
    assert f'/admin/accounting/invoice/{seeded["doubled"].pk}/change/' in html
    [message] = mail.outbox
    assert "3600" in message.body and "99999" in message.body

    # The checklist turns red naming the account; finalize refuses a line on it, unnumbered.
    step = {s.key: s for s in client_checklist(client=connection.client)}["account_plan"]
    assert step.state == MISSING and "3600" in step.detail and "3030" in step.detail
    invoice = InvoiceFactory(client=connection.client, customer=seeded["matched"].customer,
                             invoice_date=DAY)  # fmt: skip
    InvoiceLineFactory(invoice=invoice, account=AccountFactory(client=connection.client,
                                                               number=3600))  # fmt: skip
    with pytest.raises(InvoiceNotFinalizable, match=r"line 1: account 3600 does not exist"):
        invoice_finalize(invoice=invoice, by=None)
    invoice.refresh_from_db()
    assert invoice.number is None and not invoice.is_finalized


def test_retransferring_a_renumbered_customer_corrects_powerOffice_go(
    connection, po_sandbox, seeded
):
    run = reconciliation_run(connection=connection, notify=False, **PERIOD)

    assert reconciliation_registers_retransfer(run=run) == 1
    process_until_done()

    customer = seeded["changed"].customer
    external_id = int(link_for_object(connection=connection, obj=customer).external_id)
    assert po_sandbox.books().register("Customers").rows[external_id]["Number"] == 10100
    again = reconciliation_run(connection=connection, notify=False, **PERIOD)
    assert again.count(Finding.REGISTER_CHANGED) == 0
    # the stranded voucher, bound by the first run, and the invoice that waited for the
    # connection, sent meanwhile, now match too
    assert again.count(Finding.BOUND_HERE) == 0 and again.count(Finding.MATCHED) == 3
