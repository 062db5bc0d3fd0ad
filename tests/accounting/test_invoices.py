"""Finalizing and crediting invoices through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.exceptions import CreditNoteRefused, InvoiceLocked, InvoiceNotFinalizable
from accounting.models import Invoice, InvoiceLine
from accounting.services import (
    invoice_credit,
    invoice_finalize,
    invoice_line_delete,
    invoice_line_save,
    invoice_save,
)
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    FinalizedInvoiceFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    UserFactory,
    VatCodeFactory,
)

pytestmark = pytest.mark.django_db


class TestTotals:
    def test_lines_compute_vat_from_the_accounts_vat_code_rounded_to_ore(self):
        invoice = InvoiceFactory()
        low = AccountFactory(
            client=invoice.client,
            number=3030,
            vat_code=VatCodeFactory(client=invoice.client, code="31", rate=Decimal("15")),
        )
        InvoiceLineFactory(
            invoice=invoice,
            quantity=Decimal("3"),
            unit_price=Decimal("33.33"),
            discount_percent=Decimal("10"),
        )
        line = InvoiceLineFactory(
            invoice=invoice, account=low, quantity=Decimal("1"), unit_price=Decimal("10.10")
        )
        assert (line.vat_rate, line.vat_amount, line.amount_incl_vat) == (
            Decimal("15.00"),
            Decimal("1.52"),
            Decimal("11.62"),
        )
        totals = invoice.totals
        assert totals.amount_excl_vat == Decimal("100.09")  # 89.99 + 10.10
        assert totals.vat_amount == Decimal("24.02")  # 22.50 + 1.52
        assert totals.amount_incl_vat == Decimal("124.11")


class TestFinalize:
    def test_finalize_assigns_the_next_number_due_date_kid_and_pdf(self):
        user = UserFactory()
        invoice = InvoiceFactory(
            lines=2, invoice_date=date(2026, 3, 2), customer__payment_terms_days=10
        )
        invoice.client.next_invoice_number = 10023
        invoice.client.save()
        invoice_finalize(invoice=invoice, by=user)
        invoice.refresh_from_db()
        assert invoice.number == 10023
        assert invoice.state == Invoice.State.FINALIZED
        assert invoice.due_date == date(2026, 3, 12)
        assert invoice.kid.isdigit() and invoice.kid.endswith(str(10023)[-4:] + invoice.kid[-1])
        assert invoice.finalized_by == user and invoice.finalized_at is not None
        assert invoice.finalized_via == ""
        assert invoice.pdf.read().startswith(b"%PDF-")

    def test_finalize_without_a_person_records_what_finalized_it(self):
        invoice = InvoiceFactory(lines=1)
        invoice_finalize(invoice=invoice, by=None, via="API token Kassesystem (lb_ab12…)")
        invoice.refresh_from_db()
        assert (invoice.finalized_by, invoice.finalized_via) == (
            None, "API token Kassesystem (lb_ab12…)")

    def test_numbers_follow_the_client_sequence_and_skip_numbers_taken(self):
        first = FinalizedInvoiceFactory()
        client = first.client
        InvoiceFactory(client=client, number=first.number + 1)
        second = FinalizedInvoiceFactory(client=client)
        assert second.number == first.number + 2

    def test_each_client_has_its_own_sequence(self):
        a, b = FinalizedInvoiceFactory(), FinalizedInvoiceFactory()
        assert a.number == b.number == 10001

    def test_manually_set_number_is_kept(self):
        invoice = InvoiceFactory(number=555, lines=1)
        invoice_finalize(invoice=invoice, by=None)
        assert invoice.number == 555

    def test_second_finalize_is_refused(self):
        invoice = FinalizedInvoiceFactory()
        with pytest.raises(InvoiceNotFinalizable) as excinfo:
            invoice_finalize(invoice=invoice, by=None)
        assert str(excinfo.value) == f"Invoice {invoice.number}: it is already finalized."

    def test_invoice_without_lines_is_not_finalized(self):
        invoice = InvoiceFactory()
        with pytest.raises(InvoiceNotFinalizable):
            invoice_finalize(invoice=invoice, by=None)
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.DRAFT and invoice.number is None

    def test_finalize_rechecks_lines_whose_account_lost_its_vat_code(self):
        invoice = InvoiceFactory(lines=1)
        account = invoice.lines.get().account
        account.vat_code = None
        account.save()
        with pytest.raises(InvoiceNotFinalizable) as excinfo:
            invoice_finalize(invoice=invoice, by=None)
        assert "line 1: account 3000 has no VAT code" in str(excinfo.value)
        invoice.refresh_from_db()
        assert invoice.number is None and invoice.client.next_invoice_number == 10001


class TestFinalizedIsLocked:
    def test_editing_a_finalized_invoice_is_refused(self):
        invoice = FinalizedInvoiceFactory()
        invoice.description = "Changed"
        with pytest.raises(InvoiceLocked) as excinfo:
            invoice_save(invoice=invoice)
        assert str(excinfo.value) == (
            f"Invoice {invoice.number}: a finalized invoice cannot be changed; credit it instead."
        )
        invoice.refresh_from_db()
        assert invoice.description == "Consulting"

    def test_adding_changing_or_deleting_lines_of_a_finalized_invoice_is_refused(self):
        invoice = FinalizedInvoiceFactory()
        line = invoice.lines.get()
        line.unit_price = Decimal("1.00")
        with pytest.raises(InvoiceLocked):
            invoice_line_save(line=line)
        with pytest.raises(InvoiceLocked):
            invoice_line_save(
                line=InvoiceLine(
                    invoice=invoice, description="x", account=line.account, unit_price=1
                )
            )
        with pytest.raises(InvoiceLocked):
            invoice_line_delete(line=line)
        assert invoice.lines.get().unit_price == Decimal("1000.00")


class TestCreditNote:
    def test_credit_creates_a_draft_copy_with_negated_lines(self):
        invoice = FinalizedInvoiceFactory(lines=2, lines__quantity=Decimal("2"))
        credit_note = invoice_credit(invoice=invoice, by=None)
        assert credit_note.is_credit_note and credit_note.state == Invoice.State.DRAFT
        assert credit_note.customer == invoice.customer
        assert [line.quantity for line in credit_note.lines.all()] == [Decimal("-2"), Decimal("-2")]
        assert credit_note.totals.amount_incl_vat == -invoice.totals.amount_incl_vat

    def test_finalized_credit_note_gets_the_next_number(self):
        invoice = FinalizedInvoiceFactory()
        credit_note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        assert credit_note.number == invoice.number + 1
        assert credit_note.label == f"Credit note {credit_note.number}"

    def test_crediting_a_draft_or_a_credit_note_is_refused(self):
        with pytest.raises(CreditNoteRefused):
            invoice_credit(invoice=InvoiceFactory(lines=1), by=None)
        invoice = FinalizedInvoiceFactory()
        credit_note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        with pytest.raises(CreditNoteRefused):
            invoice_credit(invoice=credit_note, by=None)

    def test_crediting_more_than_is_left_is_refused(self):
        invoice = FinalizedInvoiceFactory()
        invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        second = invoice_credit(invoice=invoice, by=None)
        with pytest.raises(CreditNoteRefused) as excinfo:
            invoice_finalize(invoice=second, by=None)
        assert f"it credits more than is left of Invoice {invoice.number}" in str(excinfo.value)

    def test_credit_note_customer_change_to_another_customer_is_refused(self):
        invoice = FinalizedInvoiceFactory()
        credit_note = invoice_credit(invoice=invoice, by=None)
        credit_note.customer = CustomerFactory(client=invoice.client)
        with pytest.raises(ValidationError) as excinfo:
            invoice_save(invoice=credit_note)
        assert "belongs to another customer" in excinfo.value.message_dict["credited_invoice"][0]
