"""Invoice and credit-note exporters: outgoing-invoice voucher (or manual journal) plus PDF.

Order for one invoice, each step recorded on the attempt with PowerOffice's id:
1. pre-flight, before any call: every line's account has an external VAT code
   (`integrations.preflight`), the customer can be invoiced, the date is after PowerOffice's
   lock date (cached);
2. customer, department and project exported first (skipped when unchanged);
3. the voucher posted with a deterministic ExternalImportReference;
4. the PDF uploaded; binding and upload share one transaction.

Nothing is posted twice. If the upload fails after the voucher was posted, the transaction rolls
back the binding, but the attempt keeps its "voucher" step with the voucher id: the retry finds
it there (`find_existing`) and only uploads. If the answer to the post itself was lost, the retry's
post is refused as a duplicate (Conflict) and the voucher is looked up by its reference
(`on_conflict`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from integrations.errors import Conflict, DataError
from integrations.links import link_for_object
from integrations.models import TransferAttempt, TransferKind
from integrations.preflight import invoice_vat_codes_check, lock_date_check

from . import mapping
from .exporters import CustomerExporter, DepartmentExporter, PowerOfficeExporter, ProjectExporter
from .models import PowerOfficeSettings, VoucherRoute

Dto = dict[str, Any]
VOUCHER_STEP = "voucher"


class InvoiceExporter(PowerOfficeExporter):
    kind = TransferKind.INVOICE
    dependencies = (CustomerExporter, DepartmentExporter, ProjectExporter)
    updatable = False

    # -- before anything is sent ------------------------------------------------------------
    def object_date(self, invoice):
        return invoice.invoice_date

    def should_skip(self, invoice) -> str:
        link = link_for_object(connection=self.connection, obj=invoice)
        if link is not None:
            return _("already posted as voucher %(id)s") % {"id": link.external_id}
        return super().should_skip(invoice)

    def ensure_dependencies(self, invoice) -> None:
        self.preflight(invoice)
        super().ensure_dependencies(invoice)

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

    def find_existing(self, invoice, payload: Dto) -> str | None:
        """The voucher an earlier attempt of this invoice posted (its step was recorded)."""
        voucher_id = self._voucher_posted_earlier(invoice)
        if voucher_id:
            self.context.record_step(
                VOUCHER_STEP, action="found", obj=invoice, external_id=voucher_id,
                detail=_("posted by an earlier attempt; not posted again"),
            )  # fmt: skip
        return voucher_id

    def _voucher_posted_earlier(self, invoice) -> str | None:
        attempts = TransferAttempt.objects.filter(
            transfer__connection=self.connection,
            transfer__kind=self.kind,
            transfer__content_type=ContentType.objects.get_for_model(invoice),
            transfer__object_id=invoice.pk,
        ).order_by("-pk")
        for steps in attempts.values_list("steps", flat=True):
            for step in steps or []:
                if step.get("step") == VOUCHER_STEP and step.get("external_id"):
                    return str(step["external_id"])
        return None

    def create(self, payload: Dto) -> str:
        client = self.client
        voucher = (client.post_manual_journal if self._manual else client.post_outgoing_invoice)(
            payload
        )
        route = _("manual journal") if self._manual else _("outgoing invoice")
        self.context.record_step(
            VOUCHER_STEP, action="created", obj=self._invoice, external_id=voucher.voucher_id,
            detail=_("%(route)s, voucher no. %(no)s") % {"route": route, "no": voucher.voucher_no},
        )  # fmt: skip
        return voucher.voucher_id

    def update(self, external_id: str, payload: Dto) -> None:
        """A posted voucher never changes; binding the found one is all there is to do."""
        return None

    def on_conflict(self, invoice, payload: Dto, error: Conflict) -> str:
        voucher = self.client.find_voucher_by_reference(
            external_import_reference=payload["ExternalImportReference"],
            voucher_date=invoice.invoice_date,
            invoice_no=None if self._manual else str(invoice.number),
        )
        if voucher is None:
            raise error
        self.context.record_step(
            VOUCHER_STEP, action="recovered", obj=invoice, external_id=voucher.voucher_id,
            detail=_("already posted (an earlier answer was lost); bound, not posted again"),
        )  # fmt: skip
        return voucher.voucher_id

    # -- the PDF ----------------------------------------------------------------------------------
    def after_export(self, invoice, external_id: str) -> None:
        if not invoice.pdf:
            self.context.record_step("attachment", action="skipped", obj=invoice,
                                     detail=_("the invoice has no PDF"))  # fmt: skip
            return
        with invoice.pdf.open("rb") as handle:
            content = handle.read()
        filename = f"{invoice.label}.pdf".replace(" ", "-").lower()
        self.client.upload_voucher_pdf(external_id, content, filename)
        self.context.record_step(
            "attachment", action="uploaded", obj=invoice, external_id=external_id, detail=filename
        )


class CreditNoteExporter(InvoiceExporter):
    """Credit notes: negative amounts; the credited invoice's number is in the description and
    in CustomMatchingReference (PowerOffice has no field for it on the voucher)."""

    kind = TransferKind.CREDIT_NOTE
