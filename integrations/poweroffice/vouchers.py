"""Invoice and credit-note exporters: outgoing-invoice voucher (or manual journal) plus PDF.

Order for one invoice, each step recorded on the attempt with PowerOffice's id:
1. pre-flight, before any call: every line's account has an external VAT code
   (`integrations.preflight`), the customer can be invoiced, the date is after PowerOffice's
   lock date (cached);
2. customer, department and project exported first (skipped when unchanged);
3. the voucher posted with a deterministic ExternalImportReference;
4. the PDF uploaded; binding and upload share one transaction.

Nothing is posted twice (`integrations.base.DocumentExporter`): the voucher carries the
invoice's fixed transfer reference; the send is recorded before the post; when its outcome is
unknown (a lost answer, a 5xx, a success without the voucher's Id) or the post is refused, the
voucher is looked up through the read routes (the customer ledger by invoice number and date,
or the account transactions of that date for a manual journal) and bound when found. If the PDF
upload fails after the voucher was bound, the retry only uploads.

A credit note waits until the invoice it credits is posted on the same connection, and fails
with that reason when the invoice's transfer failed or it was never sent there.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from integrations import errors
from integrations.base import DocumentExporter
from integrations.errors import DataError
from integrations.models import TransferKind
from integrations.preflight import credited_invoice_check, invoice_vat_codes_check, lock_date_check

from . import mapping
from .exporters import CustomerExporter, DepartmentExporter, PowerOfficeExporter, ProjectExporter
from .models import PowerOfficeSettings, VoucherRoute

Dto = dict[str, Any]
VOUCHER_STEP = "voucher"


def invoice_pdf_file(invoice) -> tuple[str, bytes] | None:
    """(file name, content) of the invoice's PDF as uploaded to its voucher; None without one.
    Used by the exporter and by reconciliation (a voucher found there without its PDF)."""
    if not invoice.pdf:
        return None
    with invoice.pdf.open("rb") as handle:
        content = handle.read()
    return f"{invoice.label}.pdf".replace(" ", "-").lower(), content


class InvoiceExporter(DocumentExporter, PowerOfficeExporter):
    kind = TransferKind.INVOICE
    dependencies = (CustomerExporter, DepartmentExporter, ProjectExporter)
    updatable = False

    # -- before anything is sent ------------------------------------------------------------
    def object_date(self, invoice):
        return invoice.invoice_date

    def ensure_dependencies(self, invoice) -> None:
        self.preflight(invoice)
        super().ensure_dependencies(invoice)

    def reload_queryset(self, model):
        """Invoices with what the checks and the payload read (one query, not five)."""
        return model._default_manager.select_related(
            "client", "customer", "department", "project__department"
        )

    def preflight(self, invoice) -> None:
        if not invoice.is_finalized or invoice.number is None:
            raise DataError(
                _("%(invoice)s is not finalized.") % {"invoice": invoice.label},
                record=str(invoice.label),
                field="state",
            )
        self._lines = list(invoice.lines.select_related("account").order_by("line_no"))
        invoice_vat_codes_check(invoice=invoice, lines=self._lines)
        mapping.customer_check(invoice.customer)
        lock_date_check(
            record=str(invoice.label), day=invoice.invoice_date, lock_date=self.lookups.lock_date()
        )

    def dependency_objects(self, invoice):
        return [
            (CustomerExporter, invoice.customer),
            (DepartmentExporter, self._department(invoice)),
            (ProjectExporter, invoice.project),
        ]

    @staticmethod
    def _department(invoice):
        if invoice.department_id or invoice.project is None:
            return invoice.department
        return invoice.project.department

    # -- the voucher ----------------------------------------------------------------------------
    @property
    def manual_journal(self) -> bool:
        try:  # loaded with the transfer (PowerOfficeConnector.connection_related)
            settings_row = self.connection.poweroffice_settings
        except PowerOfficeSettings.DoesNotExist:
            settings_row, _created = PowerOfficeSettings.objects.get_or_create(
                connection=self.connection
            )
        return settings_row.voucher_route == VoucherRoute.MANUAL_JOURNAL

    def build_payload(self, invoice) -> Dto:
        self._invoice = invoice
        self._manual = self.manual_journal
        refs = mapping.VoucherRefs(
            customer_account_id=self._customer_account_id(invoice),
            project_id=self.bound_id(invoice.project),
            department_id=self.bound_id(self._department(invoice)),
            account_ids=self.lookups.account_ids(),
            vat_ids=self.lookups.vat_ids(),
        )
        build = mapping.manual_journal_payload if self._manual else mapping.outgoing_invoice_payload
        return build(invoice, self._lines, refs)

    def _customer_account_id(self, invoice) -> int:
        number = mapping.customer_number(invoice.customer)
        account_id = self.lookups.customer_ledger_id(number)
        if account_id is None:
            raise DataError(
                _("%(invoice)s: customer %(number)s was not found in PowerOffice Go.")
                % {"invoice": invoice.label, "number": number},
                record=str(invoice.label),
                field="customer",
            )
        return account_id

    def create(self, payload: Dto) -> str:
        client = self.client
        post = client.post_manual_journal if self._manual else client.post_outgoing_invoice
        try:
            voucher = post(payload)
        except (errors.NotFound, errors.ValidationRejected) as err:
            # Refused for an id we may hold stale (an account or VAT code changed in Go): the
            # next attempt, for every worker, reads it afresh.
            self.lookups.forget_stale(
                err, customer_number=mapping.customer_number(self._invoice.customer)
            )
            raise
        route = _("manual journal") if self._manual else _("outgoing invoice")
        self.context.record_step(
            VOUCHER_STEP, action="created", obj=self._invoice, external_id=voucher.voucher_id,
            detail=_("%(route)s, voucher no. %(no)s") % {"route": route, "no": voucher.voucher_no},
        )  # fmt: skip
        return voucher.voucher_id

    def look_up(self, invoice, payload: Dto) -> str | None:
        voucher = self.client.find_voucher_by_reference(
            external_import_reference=payload["ExternalImportReference"],
            voucher_date=invoice.invoice_date,
            invoice_no=None if self._manual else str(invoice.number),
        )
        return voucher.voucher_id if voucher else None

    # -- the PDF ----------------------------------------------------------------------------------
    def after_export(self, invoice, external_id: str) -> None:
        pdf = invoice_pdf_file(invoice)
        if pdf is None:
            self.context.record_step("attachment", action="skipped", obj=invoice,
                                     detail=_("the invoice has no PDF"))  # fmt: skip
            return
        filename, content = pdf
        self.client.upload_voucher_pdf(external_id, content, filename)
        self.context.record_step(
            "attachment", action="uploaded", obj=invoice, external_id=external_id, detail=filename
        )


class CreditNoteExporter(InvoiceExporter):
    """Credit notes: negative amounts; the credited invoice's number is in the description and
    in CustomMatchingReference (PowerOffice has no field for it on the voucher). Posted only
    after the invoice it credits (`credited_invoice_check`)."""

    kind = TransferKind.CREDIT_NOTE

    def preflight(self, credit_note) -> None:
        super().preflight(credit_note)
        credited_invoice_check(connection=self.connection, credit_note=credit_note)
