"""Invoice write paths: drafts and lines, finalize (the only way), credit notes."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.exceptions import CreditNoteRefused, InvoiceNotFinalizable, errors_to_text
from accounting.models import Invoice, InvoiceLine
from accounting.numbering import invoice_number_next, kid_for
from accounting.pdf import invoice_pdf_bytes
from accounting.references import DocumentKind, document_reference
from accounting.services.payments import invoice_payment_status_refresh
from integrations.outbox import Operation, TransferKind, invoice_transfer_check, transfer_enqueue


@transaction.atomic
def invoice_save(*, invoice: Invoice, by: AbstractBaseUser | None = None) -> Invoice:
    """Validate and save a draft invoice (refused once finalized)."""
    invoice.check_editable()
    invoice.full_clean()
    invoice.save()
    return invoice


@transaction.atomic
def invoice_line_save(*, line: InvoiceLine) -> InvoiceLine:
    """Validate, compute the amounts of and save one line of a draft invoice."""
    line.invoice.check_editable()
    if not line.client_id:
        line.client_id = line.invoice.client_id
    line.full_clean()
    line.save()
    return line


@transaction.atomic
def invoice_line_delete(*, line: InvoiceLine) -> None:
    line.invoice.check_editable()
    line.delete()


def _lock(invoice: Invoice) -> None:
    """Lock the row and reload it, so two finalizations of one invoice run one after another."""
    list(Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk", flat=True))
    invoice.refresh_from_db()


# Foreign keys of a line the database guarantees (rows read in the same statement, under the
# invoice's lock): not looked up again one by one when the lines are rechecked at finalizing.
_LINE_RELATIONS = ("client", "invoice", "product", "account", "vat_code")


def _check_finalizable(invoice: Invoice) -> list[InvoiceLine]:
    if invoice.is_finalized:
        raise InvoiceNotFinalizable(_("it is already finalized."), record=invoice, field="state")
    lines = list(
        invoice.lines.select_related("client", "product", "account__vat_code", "vat_code")
        .order_by("line_no")
    )  # fmt: skip
    if not lines:
        raise InvoiceNotFinalizable(_("it has no lines."), record=invoice)
    for line in lines:
        line.invoice = invoice  # locked and read as a draft (`_lock`)
        try:
            # Recomputes amounts at today's VAT rates and rechecks every rule of the line; the
            # related rows and the unique line number are the database's to guarantee.
            line.full_clean(exclude=_LINE_RELATIONS, validate_constraints=False)
        except ValidationError as error:
            raise InvoiceNotFinalizable(errors_to_text(error), field="lines") from error
    if not invoice.zero_total_intended and not sum(line.amount_incl_vat for line in lines):
        raise InvoiceNotFinalizable(
            _("its total is 0.00; tick “zero total intended” if that is on purpose."),
            record=invoice,
            field="zero_total_intended",
        )
    return lines


def _check_credit_amount(credit_note: Invoice) -> None:
    """A credit note is negative and credits at most what is left of its invoice.

    The credited invoice's row is locked first, so two credit notes of one invoice finalized
    at the same moment are checked one after the other and cannot both credit the same rest."""
    list(
        Invoice.objects.select_for_update()
        .filter(pk=credit_note.credited_invoice_id)
        .values_list("pk", flat=True)
    )
    original = credit_note.credited_invoice
    amount = credit_note.totals.amount_incl_vat
    finalized_notes = original.credit_notes.filter(state=Invoice.State.FINALIZED)
    already = sum((note.totals.amount_incl_vat for note in finalized_notes), Decimal("0.00"))
    if amount >= 0:
        raise CreditNoteRefused(_("its total must be negative."), record=credit_note, field="lines")
    if original.totals.amount_incl_vat + already + amount < 0:
        raise CreditNoteRefused(
            _("it credits more than is left of %(invoice)s.") % {"invoice": original.label},
            record=credit_note,
            field="credited_invoice",
        )


# What rechecking a line at finalizing may change (amounts at today's VAT rates).
_LINE_COMPUTED = ("line_no", "vat_code", "vat_rate", "amount_excl_vat", "vat_amount",
                  "amount_incl_vat", "updated_at")  # fmt: skip


@transaction.atomic
def invoice_finalize(*, invoice: Invoice, by: AbstractBaseUser | None, via: str = "") -> Invoice:
    """Number, lock and queue an invoice or credit note for transfer. The only way to finalize.

    `by` is the person who finalized it; `via` says what did when no person did (for the audit
    trail, e.g. "API token Kassesystem (lb_ab12cd…)").

    Gives the next free number when blank, a due date from the customer's payment terms and a KID
    when blank, and a generated PDF unless one was uploaded. Raises AccountingError naming the
    invoice (and line) and changes nothing when a rule fails.
    """
    _lock(invoice)
    invoice._held_draft = not invoice.is_finalized
    try:
        return _finalize(invoice, by=by, via=via)
    finally:
        invoice._held_draft = False


def _finalize(invoice: Invoice, *, by: AbstractBaseUser | None, via: str) -> Invoice:
    lines = _check_finalizable(invoice)
    invoice_transfer_check(invoice=invoice, lines=lines)  # before anything is numbered
    if invoice.is_credit_note:
        _check_credit_amount(invoice)
    invoice.full_clean()
    invoice.number = invoice.number or invoice_number_next(client=invoice.client)
    invoice.transfer_reference = invoice.transfer_reference or document_reference(
        client=invoice.client,
        kind=DocumentKind.CREDIT_NOTE if invoice.is_credit_note else DocumentKind.INVOICE,
        number=invoice.number,
    )
    invoice.due_date = invoice.due_date or invoice.invoice_date + timedelta(
        days=invoice.customer.payment_terms_days
    )
    invoice.kid = invoice.kid or kid_for(
        customer_number=invoice.customer.number, invoice_number=invoice.number
    )
    now = timezone.now()
    for line in lines:
        line.updated_at = now
    InvoiceLine.objects.bulk_update(lines, _LINE_COMPUTED, batch_size=500)
    invoice.state = Invoice.State.FINALIZED
    invoice.finalized_at = timezone.now()
    invoice.finalized_by = by
    invoice.finalized_via = via[:200]
    if not invoice.pdf:
        invoice.pdf.save(
            f"invoice-{invoice.number}.pdf", ContentFile(invoice_pdf_bytes(invoice)), save=False
        )
    invoice.save()
    if invoice.is_credit_note:
        # The credited invoice now owes less (or nothing): its payment status follows.
        invoice_payment_status_refresh(invoice=invoice.credited_invoice)
    kind = TransferKind.CREDIT_NOTE if invoice.is_credit_note else TransferKind.INVOICE
    transfer_enqueue(obj=invoice, kind=kind, operation=Operation.CREATE)
    return invoice


@transaction.atomic
def invoice_credit(*, invoice: Invoice, by: AbstractBaseUser | None) -> Invoice:
    """A draft credit note for a finalized invoice, with every line copied and negated."""
    if invoice.is_credit_note:
        raise CreditNoteRefused(_("a credit note cannot be credited."), record=invoice)
    if not invoice.is_finalized:
        raise CreditNoteRefused(_("only a finalized invoice can be credited."), record=invoice)
    credit_note = Invoice(
        client=invoice.client,
        customer=invoice.customer,
        project=invoice.project,
        department=invoice.department,
        currency_code=invoice.currency_code,
        currency_rate=invoice.currency_rate,
        your_reference=invoice.your_reference,
        our_reference=invoice.our_reference,
        description=_("Credit note for %(invoice)s") % {"invoice": invoice.label},
        credited_invoice=invoice,
    )
    invoice_save(invoice=credit_note, by=by)
    for line in invoice.lines.order_by("line_no"):
        copy = InvoiceLine(
            client=invoice.client,
            invoice=credit_note,
            line_no=line.line_no,
            description=line.description,
            product=line.product,
            account=line.account,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            non_income_account_confirmed=line.non_income_account_confirmed,
        )
        invoice_line_save(line=copy)
    return credit_note
