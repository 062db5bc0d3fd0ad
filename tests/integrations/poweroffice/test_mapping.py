"""Mapping of Ledgerbridge records to PowerOffice Go Dtos: pure functions, every payload checked
against contract.json (validate_request) besides the autouse check of sent requests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounting.services import invoice_credit, invoice_finalize
from integrations.errors import DataError
from integrations.poweroffice import contract, mapping
from integrations.poweroffice.client import _plain
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

REFS = mapping.VoucherRefs(
    customer_account_id=7001,
    project_id=55,
    department_id=66,
    account_ids={3000: 1011},
    vat_ids={"3": 3},
)


def valid(method: str, path: str, payload) -> dict:
    body = _plain(payload)
    contract.validate_request(method, path, body)
    return body


class TestCustomer:
    def test_payload_carries_every_seed_field_and_matches_the_contract(self):
        customer = CustomerFactory(
            number=10023, name="Fjord AS", organization_number="987654321", phone="+47 22 00 00 00",
            email="post@fjord.no", invoice_email="faktura@fjord.no", address_line2="Postboks 9",
            country_code="SE", invoice_delivery_method="email", discount_percent=Decimal("5.5"),
        )  # fmt: skip
        body = valid("POST", "/Customers", mapping.customer_payload(customer))
        assert body["Number"] == 10023 and body["Name"] == "Fjord AS"
        assert body["OrganizationNumber"] == "987654321"
        assert (body["EmailAddress"], body["InvoiceEmailAddress"]) == (
            "post@fjord.no",
            "faktura@fjord.no",
        )
        assert body["MailAddress"] == {
            "AddressLine1": "Storgata 1", "AddressLine2": "Postboks 9", "ZipCode": "0155",
            "City": "Oslo", "CountryCode": "SE",
        }  # fmt: skip
        assert body["InvoiceDeliveryType"] == "PdfByEmail"
        assert (body["Allowance"], body["PaymentTerm"]) == (5.5, 14)

    def test_customer_without_an_address_is_sent_without_mail_address(self):
        customer = CustomerFactory(address_line1="", postcode="", city="", country_code="NO")
        body = valid("POST", "/Customers", mapping.customer_payload(customer))
        assert "MailAddress" not in body

    def test_external_ledger_number_wins_over_our_number(self):
        customer = CustomerFactory(number=23, external_ledger_number=10023)
        assert mapping.customer_payload(customer)["Number"] == 10023

    @pytest.mark.parametrize("method", ["email", "ehf"])
    def test_delivery_other_than_print_without_organization_number_is_refused(self, method):
        customer = CustomerFactory.build(
            number=10023, organization_number="", invoice_delivery_method=method
        )
        with pytest.raises(DataError, match="Customer 10023: invoice delivery method") as err:
            mapping.customer_payload(customer)
        assert err.value.field == "organization_number"

    def test_print_delivery_needs_no_organization_number(self):
        customer = CustomerFactory.build(organization_number="", invoice_delivery_method="print")
        assert mapping.customer_payload(customer)["InvoiceDeliveryType"] == "Print"

    def test_number_series_check_and_message(self):
        series = [(10000, 19999)]
        assert mapping.number_in_series(10023, series)
        assert not mapping.number_in_series(5, series)
        customer = CustomerFactory.build(number=5)
        error = mapping.number_series_error(customer, 5, series)
        assert "Customer 5: number 5 is outside the customer number series" in error.message
        assert "10000–19999" in error.message


class TestPatch:
    def test_patch_holds_only_changed_properties_and_nested_paths(self):
        remote = {
            "Id": 1, "Name": "Fjord AS", "EmailAddress": None, "Allowance": 5.0,
            "MailAddress": {"City": "Oslo", "ZipCode": "0155", "AddressLine1": None},
        }  # fmt: skip
        desired = {
            "Name": "Fjord Catering AS", "EmailAddress": "", "Allowance": Decimal("5.00"),
            "PaymentTerm": 30, "MailAddress": {"City": "Bergen", "ZipCode": "0155"},
        }  # fmt: skip
        patch = mapping.changed_fields_patch(remote, desired, skip=mapping.CUSTOMER_POST_ONLY)
        assert patch == [
            {"op": "replace", "path": "/Name", "value": "Fjord Catering AS"},
            {"op": "replace", "path": "/MailAddress/City", "value": "Bergen"},
        ]
        valid("PATCH", "/Customers/1", patch)

    def test_missing_remote_address_is_replaced_whole(self):
        patch = mapping.changed_fields_patch({"MailAddress": None}, {"MailAddress": {"City": "X"}})
        assert patch == [{"op": "replace", "path": "/MailAddress", "value": {"City": "X"}}]


class TestProject:
    @pytest.mark.parametrize(
        ("state", "status", "active"),
        [("active", "Active", True), ("planned", "NotStarted", True),
         ("completed", "Complete", False), ("inactive", "Archived", False)],
    )  # fmt: skip
    def test_payload_maps_state_and_ids(self, state, status, active):
        project = ProjectFactory(number="P-1001", name="Kassesystem", state=state)
        payload = mapping.project_payload(project, customer_id=9, department_id=4, manager_id=12)
        body = valid("POST", "/Projects", payload)
        assert body == {
            "Name": "Kassesystem", "Code": "P-1001", "CustomerId": 9, "DepartmentId": 4,
            "ProjectStatus": status, "IsActive": active, "ProjectManagerEmployeeId": 12,
        }  # fmt: skip
        valid("PATCH", "/Projects/1", mapping.changed_fields_patch({}, payload))

    def test_unknown_owner_leaves_the_manager_out(self):
        payload = mapping.project_payload(
            ProjectFactory(), customer_id=None, department_id=None, manager_id=None
        )
        assert "ProjectManagerEmployeeId" not in payload

    def test_department_payload_matches_the_contract(self):
        body = valid(
            "POST", "/Departments", mapping.department_payload(DepartmentFactory(code="10"))
        )
        assert body["Code"] == "10"


def finalized_invoice(**kwargs):
    invoice = InvoiceFactory(**kwargs)
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("3"), unit_price=Decimal("200.00"),
                       discount_percent=Decimal("10"))  # fmt: skip
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("1"), unit_price=Decimal("100.00"))
    return invoice_finalize(invoice=invoice, by=None)


def lines_of(invoice):
    return list(invoice.lines.select_related("account").order_by("line_no"))


class TestOutgoingInvoice:
    def test_header_and_lines_match_the_contract_and_the_field_table(self):
        invoice = finalized_invoice(your_reference="Ola")
        body = valid(
            "POST", "/Vouchers/OutgoingInvoiceJournals",
            mapping.outgoing_invoice_payload(invoice, lines_of(invoice), REFS),
        )  # fmt: skip
        code = invoice.client.reference_code
        assert body["ExternalImportReference"] == f"LB-{code}-INV-{invoice.number}"
        assert (
            body["InvoiceNo"] == str(invoice.number) and body["ImportedVoucherNo"] == invoice.number
        )
        assert body["CustomerAccountId"] == 7001 and body["ProjectId"] == 55
        assert body["DepartmentId"] == 66
        assert body["VoucherDate"] == invoice.invoice_date.isoformat()
        assert body["DueDate"] == invoice.due_date.isoformat() and body["Cid"] == invoice.kid
        assert body["CurrencyAmount"] == 800.0  # (540 + 100) × 1.25
        assert (body["CurrencyCode"], body["CurrencyExchangeRate"]) == ("NOK", 1.0)
        assert body["CustomerReference"] == "Ola"
        first, second = body["OutgoingInvoiceLines"]
        assert first["Description"].endswith("(3 × 200, discount 10 %)")
        assert (first["AccountId"], first["VatId"], first["Quantity"]) == (1011, 3, 3.0)
        assert first["CurrencyAmount"] == 675.0 and second["CurrencyAmount"] == 125.0

    def test_the_reference_survives_a_corrected_organization_number(self):
        invoice = finalized_invoice()
        before = mapping.voucher_reference(invoice)
        client = invoice.client
        client.organization_number = "987654321"
        client.save()
        invoice.refresh_from_db()
        assert mapping.voucher_reference(invoice) == before
        assert "987654321" not in before and len(before) <= 50

    def test_account_unknown_in_poweroffice_names_invoice_line_and_account(self):
        invoice = finalized_invoice()
        refs = mapping.VoucherRefs(customer_account_id=1, account_ids={}, vat_ids={"3": 3})
        with pytest.raises(DataError, match=r"line 1: account 3000 does not exist in PowerOffice"):
            mapping.outgoing_invoice_payload(invoice, lines_of(invoice), refs)

    def test_external_vat_code_unknown_in_poweroffice_is_refused(self):
        invoice = finalized_invoice()
        refs = mapping.VoucherRefs(customer_account_id=1, account_ids={3000: 1}, vat_ids={})
        with pytest.raises(DataError, match=r"external VAT code 3, which is not a VAT code"):
            mapping.outgoing_invoice_payload(invoice, lines_of(invoice), refs)

    def test_credit_note_is_negative_and_names_the_credited_invoice(self):
        invoice = finalized_invoice()
        note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        body = valid(
            "POST", "/Vouchers/OutgoingInvoiceJournals",
            mapping.outgoing_invoice_payload(note, lines_of(note), REFS),
        )  # fmt: skip
        assert body["CurrencyAmount"] == -800.0
        assert body["ExternalImportReference"].endswith(f"-CRN-{note.number}")
        assert body["CustomMatchingReference"] == str(invoice.number)
        assert f"credits invoice {invoice.number}" in body["Description"]


class TestManualJournal:
    def test_journal_balances_and_keeps_the_invoice_number_for_matching(self):
        invoice = finalized_invoice()
        body = valid(
            "POST", "/Vouchers/ManualJournals",
            mapping.manual_journal_payload(invoice, lines_of(invoice), REFS),
        )  # fmt: skip
        customer_line, *revenue = body["VoucherLines"]
        assert sum(line["CurrencyAmount"] for line in body["VoucherLines"]) == 0
        assert (customer_line["AccountId"], customer_line["CurrencyAmount"]) == (7001, 800.0)
        assert customer_line["CustomMatchingReference"] == str(invoice.number)
        assert body["ImportedVoucherNo"] == invoice.number
        assert [line["VatId"] for line in revenue] == [3, 3]
        assert all(line["PostingDate"] == invoice.invoice_date.isoformat() for line in revenue)
