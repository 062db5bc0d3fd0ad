"""The PowerOffice Go reconciliation reader over mocked HTTP (`responses`): paged reads, both sign
conventions, the classes, registers and the account plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from responses import matchers

from accounting.services import invoice_finalize
from integrations.links import external_link_bind
from integrations.poweroffice.reconciliation import PowerOfficeReconciliationReader
from integrations.reconciliation.models import Finding
from integrations.reconciliation.services import reconciliation_run
from tests.factories import AccountFactory, CustomerFactory, InvoiceFactory, InvoiceLineFactory
from tests.factories.integrations import ConnectionFactory

from .conftest import API

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
PERIOD = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}


@pytest.fixture
def connection():
    return ConnectionFactory(enabled=False)  # nothing is sent while the test builds its books


def finalized(connection, number, *, credit=None):
    customer = credit.customer if credit else CustomerFactory(client=connection.client,
                                                               number=number)  # fmt: skip
    invoice = InvoiceFactory(client=connection.client, customer=customer, invoice_date=DAY,
                             credited_invoice=credit)  # fmt: skip
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("-1" if credit else "1"),
                       unit_price=Decimal("1000.00"))  # fmt: skip
    return invoice_finalize(invoice=invoice, by=None)


def entry(invoice, *, sign=1, voucher_id=None, **changes):
    return {
        "VoucherId": voucher_id or f"v-{invoice.number}", "VoucherNo": 40000 + invoice.number,
        "ExternalImportReference": invoice.transfer_reference, "InvoiceNo": str(invoice.number),
        "CurrencyAmount": sign * 1250.0, "Amount": sign * 1250.0, "CurrencyCode": "NOK",
        "CustomerAccountNo": invoice.customer.number, "VoucherDate": DAY.isoformat(),
        "Cid": invoice.kid, "IsCreatedByCurrentIntegration": True,
        "VoucherType": "OutgoingCreditNote" if invoice.is_credit_note else "OutgoingInvoice",
        **changes,
    }  # fmt: skip


def mock_reads(http, ledger, *, page_size=5000, customers=(), accounts=None, vat=None):
    pages = [ledger[i:i + page_size] for i in range(0, len(ledger), page_size)] or [[]]
    for number, rows in enumerate(pages, 1):
        http.add("GET", f"{API}/Customerledger/Statement",
                 match=[matchers.query_param_matcher({
                     "fromDate": "2026-03-01", "toDate": "2026-03-31",
                     "PageNumber": str(number), "PageSize": str(page_size)})],
                 **({"json": rows} if rows else {"status": 204}))  # fmt: skip
    if len(ledger) and len(ledger) % page_size == 0:
        http.add("GET", f"{API}/Customerledger/Statement", status=204)
    http.add("GET", f"{API}/SalesOrders", status=204)
    http.add("GET", f"{API}/Customers", json=list(customers))
    http.add("GET", f"{API}/GeneralLedgerAccounts", json=accounts if accounts is not None else [
        {"Id": 1, "AccountNo": 3000, "Name": "Sales", "IsActive": True, "VatCode": "3"}])
    http.add("GET", f"{API}/VatCodes", json=vat if vat is not None else [
        {"Id": 3, "Code": "3", "Rate": 25.0, "IsActive": True}])


def run(connection, client):
    reader = PowerOfficeReconciliationReader(connection, client)
    return reconciliation_run(connection=connection, reader=reader, notify=False, **PERIOD)


def bind(connection, invoice, external_id=None):
    external_link_bind(connection=connection, obj=invoice,
                       external_id=external_id or f"v-{invoice.number}")  # fmt: skip


@pytest.mark.parametrize("sign", [1, -1], ids=["invoice-positive", "invoice-negative"])
def test_either_sign_convention_reconciles_invoice_and_credit_note(
    connection, client, http, token, sign
):
    invoice = finalized(connection, 10100)
    credit = finalized(connection, None, credit=invoice)
    bind(connection, invoice), bind(connection, credit)
    mock_reads(http, [entry(invoice, sign=sign), entry(credit, sign=-sign, CurrencyAmount=
               -sign * 1250.0, Amount=-sign * 1250.0)])  # fmt: skip

    result = run(connection, client)

    assert result.counts == {Finding.MATCHED: 2}, list(result.items.values_list("detail"))


def test_a_credit_note_there_for_our_invoice_is_different_by_document_type(
    connection, client, http, token
):
    invoice = finalized(connection, 10100)
    bind(connection, invoice)
    mock_reads(http, [entry(invoice, VoucherType="OutgoingCreditNote")])

    result = run(connection, client)

    [item] = result.items.all()
    assert item.finding == Finding.DIFFERENT
    assert item.differences == [["document_type", "invoice", "credit_note"]]


def test_customer_date_currency_and_kid_differences_are_each_named(
    connection, client, http, token
):
    invoice = finalized(connection, 10100)
    bind(connection, invoice)
    mock_reads(http, [entry(invoice, CustomerAccountNo=10999, VoucherDate="2026-03-03",
                            CurrencyCode="EUR", Cid="000")])  # fmt: skip

    [item] = run(connection, client).items.all()

    assert [d[0] for d in item.differences] == ["customer", "date", "currency", "kid"]
    assert item.differences[0] == ["customer", "10100", "10999"]


def test_reading_is_paged_until_a_short_page(connection, client, http, token):
    invoices = [finalized(connection, 10100 + n) for n in range(5)]
    for invoice in invoices:
        bind(connection, invoice)
    client.page_size = 2  # the reader asks for 5,000 a page; small pages here
    reader = PowerOfficeReconciliationReader(connection, client)
    reader.client.page_size = 2
    mock_reads(http, [entry(i) for i in invoices], page_size=2)

    ours, theirs = reader.documents(PERIOD["date_from"], PERIOD["date_to"])

    assert len(theirs) == 5 and len(ours) == 5
    pages = [c for c in http.calls if "Customerledger" in c.request.url]
    assert len(pages) == 3


def test_payments_and_other_integrations_entries_are_not_documents(
    connection, client, http, token
):
    invoice = finalized(connection, 10100)
    bind(connection, invoice)
    payment = {"VoucherId": "p-1", "VoucherType": "BankJournal", "InvoiceNo": str(invoice.number),
               "CurrencyAmount": -1250.0, "IsCreatedByCurrentIntegration": False}  # fmt: skip
    other = {**entry(invoice, voucher_id="o-1"), "ExternalImportReference": "OTHER-1",
             "InvoiceNo": "555", "IsCreatedByCurrentIntegration": False}  # fmt: skip
    mock_reads(http, [entry(invoice), payment, other])

    assert run(connection, client).counts == {Finding.MATCHED: 1}


def test_route_b_voucher_found_by_number_without_reference_is_bound(
    connection, client, http, token
):
    invoice = finalized(connection, 10100)
    voucher_id = "3f2b8a62-0c1d-4e5f-9a7b-1c2d3e4f5a6b"
    mock_reads(http, [entry(invoice, ExternalImportReference=None, Cid=None,
                            voucher_id=voucher_id)])  # fmt: skip
    http.add("GET", f"{API}/VoucherDocumentation", json=[{"HasPdf": True}])

    result = run(connection, client)

    assert result.counts[Finding.BOUND_HERE] == 1
    [item] = result.items.all()
    assert "the PDF was there already" in item.detail


def test_registers_changed_there_and_the_account_plan_are_listed(connection, client, http, token):
    customer = CustomerFactory(client=connection.client, number=10100, name="Fjord AS",
                               organization_number="912345678")  # fmt: skip
    external_link_bind(connection=connection, obj=customer, external_id="77")
    AccountFactory(client=connection.client, number=3000, external_vat_code="31")
    AccountFactory(client=connection.client, number=3600, external_vat_code="9")
    mock_reads(http, [], customers=[{"Id": 77, "Number": 10100, "Name": "Fjord Holding AS",
                                     "OrganizationNumber": "912345678"}])  # fmt: skip

    result = run(connection, client)

    items = {i.finding: i for i in result.items.all()}
    assert items[Finding.REGISTER_CHANGED].differences == [["Name", "Fjord AS", "Fjord Holding AS"]]
    assert items[Finding.ACCOUNT_MISSING].number == "3600"
    assert items[Finding.VAT_CODE_DIFFERS].differences == [["external_vat_code", "31", "3"]]
    assert {i.number for i in result.items.filter(finding=Finding.VAT_CODE_UNKNOWN)} == {"31", "9"}
    check = connection.account_plan_check
    assert check.missing_accounts == [3600] and check.their_vat_codes == 1


def test_a_failed_read_marks_the_run_failed_with_the_reason(connection, client, http, token):
    http.add("GET", f"{API}/Customerledger/Statement", status=403, json={"title": "Forbidden"})

    result = run(connection, client)

    assert result.status == "failed" and "403" in result.note
