"""Pure mapping against the proposed contract: every payload built here is validated against
integrations/azets/contract/azets-v1.json, and the rules the contract cannot express are tested
directly (grouping by account, org-unit value types, accrual, credit notes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from accounting.services import invoice_credit, invoice_finalize
from integrations.azets import contract, mapping
from integrations.azets.models import AzetsSettings
from integrations.errors import DataError
from tests.e2e.azets_helpers import draft_invoice, make_books

pytestmark = pytest.mark.django_db


def assert_valid(method: str, path: str, payload) -> None:
    contract.validate_request(method, f"/v1/parents/S1001/clients/42{path}", payload)


def settings_with(**values) -> AzetsSettings:
    return AzetsSettings(source_client_id="42", parent_client_id="S1001", **values)


class TestRegisters:
    def test_customer_payload_matches_the_contract(self):
        books = make_books()
        payload = mapping.customer_payload(books.customer)
        assert_valid("PUT", "/customers/1001", payload)
        assert payload["address"] == {"line1": "Storgata 1", "postalCode": "0155", "city": "Oslo"}

    def test_project_payload_carries_dimension_and_department_value(self):
        books = make_books()
        payload = mapping.project_payload(books.project, settings_with(project_dimension=3,
                                                                       department_dimension=1))
        assert_valid("PUT", "/projects/200", payload)
        assert payload == {"name": books.project.name, "customerNo": "1001", "orgUnit": 3,
                           "department": {"orgUnit": 1, "value": "10"}}

    def test_project_without_dimensions_sends_nulls(self):
        books = make_books()
        payload = mapping.project_payload(books.project, settings_with())
        assert_valid("PUT", "/projects/200", payload)
        assert (payload["orgUnit"], payload["department"]) == (None, None)


class TestOrgUnitValues:
    def test_numeric_unit_refuses_text_naming_the_record(self):
        with pytest.raises(DataError, match="Project P-1: number “P-1” is not a number"):
            mapping.org_unit_value(2, "P-1", record="Project P-1", field="number")

    def test_text_unit_refuses_more_than_ten_characters(self):
        with pytest.raises(DataError, match="longer than 10 characters"):
            mapping.org_unit_value(9, "PROJECT-0001", record="Project X", field="number")

    def test_text_unit_accepts_short_text(self):
        assert mapping.org_unit_value(9, "P-1", record="x", field="y") == {"orgUnit": 9,
                                                                          "value": "P-1"}

    def test_contract_refuses_text_on_units_one_to_six(self):
        with pytest.raises(contract.ContractViolation, match="dimensions/project: .*P-1"):
            assert_valid("PUT", "/vouchers/1", {
                "invoiceNo": "1", "customerNo": "1", "invoiceDate": "2025-01-01",
                "dueDate": "2025-01-01", "totalInclVat": "1.00", "currency": "NOK",
                "creditNoteFor": None, "dimensions": {"project": {"orgUnit": 3, "value": "P-1"}},
                "lines": [{"accountNo": "3000", "vatCode": "3", "netAmount": "1.00",
                           "vatAmount": "0.00"}],
            })


class TestVouchers:
    def test_invoice_voucher_matches_the_contract_and_groups_by_account(self):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books), by=None)
        payload = mapping.voucher_payload(invoice, settings_with(project_dimension=3))
        assert_valid("PUT", f"/vouchers/{invoice.number}", payload)
        assert [line["accountNo"] for line in payload["lines"]] == ["3000", "3100"]
        assert payload["totalInclVat"] == "2105.00"
        assert payload["dimensions"] == {"project": {"orgUnit": 3, "value": "200"},
                                         "department": None}
        assert "accrual" not in payload and "attachments" not in payload

    def test_accrual_pair_is_added_when_enabled(self):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books), by=None)
        settings = settings_with(accrual_enabled=True, accrual_debit_account="1530",
                                 accrual_credit_account="3900")
        payload = mapping.voucher_payload(invoice, settings)
        assert_valid("PUT", f"/vouchers/{invoice.number}", payload)
        assert payload["accrual"] == {"debitAccountNo": "1530", "creditAccountNo": "3900"}

    def test_credit_note_is_negative_and_names_the_credited_voucher(self):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books), by=None)
        note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        payload = mapping.voucher_payload(note, settings_with())
        assert_valid("PUT", f"/vouchers/{note.number}", payload)
        assert payload["creditNoteFor"] == str(invoice.number)
        assert Decimal(payload["totalInclVat"]) == Decimal("-2105.00")

    def test_department_of_the_invoice_wins_over_the_projects(self):
        books = make_books()
        from tests.factories.accounting import DepartmentFactory

        other = DepartmentFactory(client=books.client, code="20")
        invoice = invoice_finalize(invoice=draft_invoice(books, department=other), by=None)
        payload = mapping.voucher_payload(invoice, settings_with(department_dimension=1))
        assert payload["dimensions"]["department"] == {"orgUnit": 1, "value": "20"}

    def test_voucher_is_the_same_whatever_language_the_user_reads(self):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books, description=""), by=None)
        with translation.override("nb"):
            norwegian = mapping.voucher_payload(invoice, settings_with())
        with translation.override("en"):
            english = mapping.voucher_payload(invoice, settings_with())
        assert norwegian == english  # a retry from a Norwegian admin is a replay, not a 409

    def test_contract_refuses_attachments(self):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books), by=None)
        payload = {**mapping.voucher_payload(invoice, settings_with()), "attachments": []}
        with pytest.raises(contract.ContractViolation, match="attachments"):
            assert_valid("PUT", f"/vouchers/{invoice.number}", payload)


class TestReplies:
    def test_expense_is_parsed_into_decimals_and_dates(self):
        item = mapping.parse_expense({
            "expenseId": "E1", "voucherNo": "7", "voucherDate": "2025-01-02",
            "accountNo": "6800", "amountInclVat": "10.50", "currency": "NOK",
            "orgUnits": {"2": "1"},
        })
        assert (item.amount_incl_vat, item.voucher_date, item.account_no) == (
            Decimal("10.50"), date(2025, 1, 2), 6800)

    def test_unreadable_expense_is_a_data_error_naming_it(self):
        with pytest.raises(DataError, match="Azets expense E9: unreadable"):
            mapping.parse_expense({"expenseId": "E9", "voucherDate": "yesterday"})

    def test_path_with_an_f_or_without_s_is_outside_the_contract(self):
        with pytest.raises(contract.ContractViolation) as err:
            contract.validate_request("GET", "/v1/parents/1001/clients/F42/")
        assert len(err.value.errors) == 2
