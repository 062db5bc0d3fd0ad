"""Imported payments and expenses are stored once; payments update the invoice status."""

from datetime import date
from decimal import Decimal

import pytest

from accounting.models import Expense, Invoice, Payment
from accounting.numbering import kid_for, mod10_check_digit
from accounting.selectors import accounts_missing_vat_code, invoices_pending_transfer
from accounting.services import expense_record, payment_record
from tests.factories import AccountFactory, ExpenseFactory, FinalizedInvoiceFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def payment(invoice, reference, amount):
    return Payment(
        client=invoice.client, invoice=invoice, external_reference=reference,
        payment_date=date(2026, 3, 20), amount=Decimal(amount),
    )  # fmt: skip


class TestPayments:
    def test_partial_then_full_payment_updates_the_finalized_invoice(self):
        invoice = FinalizedInvoiceFactory()  # 1250.00 incl. VAT
        payment_record(payment=payment(invoice, "p1", "250.00"))
        invoice.refresh_from_db()
        assert (invoice.payment_status, invoice.amount_paid) == (
            Invoice.PaymentStatus.PARTLY_PAID,
            Decimal("250.00"),
        )
        payment_record(payment=payment(invoice, "p2", "1000.00"))
        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PAID

    def test_reimporting_the_same_payment_changes_nothing(self):
        invoice = FinalizedInvoiceFactory()
        first, created = payment_record(payment=payment(invoice, "p1", "250.00"))
        again, created_again = payment_record(payment=payment(invoice, "p1", "250.00"))
        assert created and not created_again and again.pk == first.pk
        invoice.refresh_from_db()
        assert invoice.amount_paid == Decimal("250.00")


class TestExpenses:
    def test_billable_follows_the_project_then_the_client_default(self):
        project = ProjectFactory(expenses_billable="inherit")
        project.client.expenses_billable_default = True
        project.client.save()
        inherited, _ = expense_record(
            expense=ExpenseFactory.build(client=project.client, project=project)
        )
        explicit = ProjectFactory(client=project.client, expenses_billable="no")
        refused, _ = expense_record(
            expense=ExpenseFactory.build(client=project.client, project=explicit)
        )
        assert inherited.billable is True and refused.billable is False

    def test_existing_expense_is_not_overwritten_and_attachments_are_saved(self):
        project = ProjectFactory()
        expense, created = expense_record(
            expense=ExpenseFactory.build(
                client=project.client, project=project, external_reference="v1"
            ),
            attachments=[("receipt.pdf", b"%PDF-1.4 test")],
        )
        again, created_again = expense_record(
            expense=ExpenseFactory.build(
                client=project.client,
                project=project,
                external_reference="v1",
                description="Changed",
            )
        )
        assert created and not created_again
        assert Expense.objects.get().description == "Train ticket"
        assert expense.attachments.get().file.read() == b"%PDF-1.4 test"


class TestSelectorsAndKid:
    def test_accounts_missing_vat_code_are_per_client(self):
        account = AccountFactory(number=3900, external_vat_code="")
        AccountFactory(number=3900, external_vat_code="")  # another client
        assert list(accounts_missing_vat_code(client=account.client)) == [account]

    def test_finalized_invoices_without_succeeded_transfer_are_pending(self):
        invoice = FinalizedInvoiceFactory()
        assert list(invoices_pending_transfer(client=invoice.client)) == [invoice]

    def test_kid_has_a_valid_mod10_check_digit(self):
        assert mod10_check_digit("7992739871") == "3"  # the textbook Luhn example
        kid = kid_for(customer_number=10001, invoice_number=10023)
        assert kid == "01000100010023" + mod10_check_digit("01000100010023") and len(kid) == 15
