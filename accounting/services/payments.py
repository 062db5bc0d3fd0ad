"""Imported payments and expenses: idempotent through their external references."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum

from accounting.models import Expense, ExpenseAttachment, Invoice, Payment


@transaction.atomic
def payment_record(*, payment: Payment) -> tuple[Payment, bool]:
    """Store an imported payment once (matched by client + external reference) and update the
    invoice's payment status. Returns (payment, created)."""
    existing = Payment.objects.filter(
        client_id=payment.client_id, external_reference=payment.external_reference
    ).first()
    if existing is not None:
        return existing, False
    payment.full_clean()
    payment.save()
    invoice_payment_status_refresh(invoice=payment.invoice)
    return payment, True


def invoice_payment_status_refresh(*, invoice: Invoice) -> Invoice:
    """Set amount paid and payment status from the invoice's payments and finalized credit
    notes. Allowed when finalized.

    What the customer owes is the invoice's total less what its credit notes credit: an invoice
    credited in full is "Credited" (nothing was or is to be paid), one credited in part is paid
    once the payments cover the rest."""
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    total = invoice.totals.amount_incl_vat
    credited = -sum(
        (
            note.totals.amount_incl_vat
            for note in invoice.credit_notes.filter(state=Invoice.State.FINALIZED)
        ),
        Decimal("0.00"),
    )
    owed = total - credited
    if credited > 0 and owed <= 0:
        status = Invoice.PaymentStatus.CREDITED
    elif paid <= 0:
        status = Invoice.PaymentStatus.UNPAID
    elif paid < owed:
        status = Invoice.PaymentStatus.PARTLY_PAID
    else:
        status = Invoice.PaymentStatus.PAID
    invoice.amount_paid, invoice.payment_status = paid, status
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=paid, payment_status=status)
    return invoice


@transaction.atomic
def expense_record(
    *,
    expense: Expense,
    attachments: Iterable[tuple[str, bytes]] = (),
    billable: bool | None = None,
) -> tuple[Expense, bool]:
    """Store an imported expense once (client + source system + external reference); an existing
    one is never overwritten. Billable follows the project (or the client default) unless given.
    Returns (expense, created)."""
    existing = Expense.objects.filter(
        client_id=expense.client_id,
        source_system=expense.source_system,
        external_reference=expense.external_reference,
    ).first()
    if existing is not None:
        return existing, False
    expense.billable = expense.project.expenses_are_billable() if billable is None else billable
    expense.full_clean()
    expense.save()
    for name, content in attachments:
        attachment = ExpenseAttachment(expense=expense, name=name)
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
    return expense, True
