"""Exporters for Azets: customers and projects (upserts by number), invoices and credit notes
(one voucher each, voucher number = invoice number, idempotent PUT).

Switches and state filters of AzetsSettings decide in should_skip(); a skipped transfer says why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from accounting.models import Customer, Invoice, Project
from integrations.base import BaseExporter
from integrations.errors import Conflict
from integrations.models import TransferKind
from integrations.preflight import credited_invoice_check, invoice_vat_codes_check

from . import mapping
from .models import AzetsSettings, settings_for


class AzetsExporter(BaseExporter):
    switch: str = ""  # the AzetsSettings boolean that turns this export on

    @property
    def settings(self) -> AzetsSettings:
        return settings_for(self.connection)

    def should_skip(self, obj) -> str:
        if self.switch and not getattr(self.settings, self.switch):
            label = AzetsSettings._meta.get_field(self.switch).verbose_name
            return _("“%(switch)s” is switched off in the Azets settings.") % {"switch": label}
        return self.state_skip_reason(obj) or super().should_skip(obj)

    def state_skip_reason(self, obj) -> str:
        return ""


class RegisterExporter(AzetsExporter):
    """Registers are upserted by our number (we are master): PUT creates or replaces."""

    def build_payload(self, obj) -> dict[str, Any]:
        self.number = str(obj.number)
        return self.payload_for(obj)

    def payload_for(self, obj) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, payload: dict[str, Any]) -> str:
        return self.put(self.number, payload)

    def update(self, external_id: str, payload: dict[str, Any]) -> str:
        return self.put(external_id, payload)

    def put(self, number: str, payload: dict[str, Any]) -> str:
        raise NotImplementedError


class CustomerExporter(RegisterExporter):
    kind = TransferKind.CUSTOMER
    switch = "export_customers"

    def state_skip_reason(self, customer: Customer) -> str:
        if self.settings.exports_customer_state(customer.state):
            return ""
        return _("customer state “%(state)s” is not among the states selected for export.") % {
            "state": customer.get_state_display()
        }

    def payload_for(self, customer: Customer) -> dict[str, Any]:
        return mapping.customer_payload(customer)

    def put(self, number: str, payload: dict[str, Any]) -> str:
        return self.client.put_customer(number, payload).external_id


class ProjectExporter(RegisterExporter):
    kind = TransferKind.PROJECT
    switch = "export_projects"
    dependencies = (CustomerExporter,)

    def state_skip_reason(self, project: Project) -> str:
        if self.settings.exports_project_state(project.state):
            return ""
        return _("project state “%(state)s” is not among the states selected for export.") % {
            "state": project.get_state_display()
        }

    def payload_for(self, project: Project) -> dict[str, Any]:
        return mapping.project_payload(project, self.settings)

    def put(self, number: str, payload: dict[str, Any]) -> str:
        return self.client.put_project(number, payload).external_id


class InvoiceExporter(AzetsExporter):
    """A finalized invoice as one voucher. PUT is idempotent on the voucher number, so a retry
    after a lost answer gets 200 (replay) and binds; different content gets 409."""

    kind = TransferKind.INVOICE
    switch = "export_invoices"
    dependencies = (CustomerExporter, ProjectExporter)
    updatable = False

    def object_date(self, invoice: Invoice) -> date | None:
        return invoice.invoice_date

    def should_skip(self, invoice: Invoice) -> str:
        reason = super().should_skip(invoice)
        if not reason:
            invoice_vat_codes_check(invoice=invoice)  # DataError before any call
        return reason

    def build_payload(self, invoice: Invoice) -> dict[str, Any]:
        return mapping.voucher_payload(invoice, self.settings)

    def create(self, payload: dict[str, Any]) -> str:
        try:
            return self.client.put_voucher(payload["invoiceNo"], payload).external_id
        except Conflict as error:
            raise self._conflict(self._invoice, payload, error) from error

    def reload(self, invoice: Invoice) -> Invoice:
        self._invoice = super().reload(invoice)
        return self._invoice

    @staticmethod
    def _conflict(invoice: Invoice, payload: dict[str, Any], error: Conflict) -> Conflict:
        return Conflict(
            _("Voucher %(number)s already exists in Azets with different content. Azets keeps "
              "the first posting; correct it there or credit %(invoice)s here.")
            % {"number": payload["invoiceNo"], "invoice": invoice.label},
            system=error.system, operation=error.operation, client=error.client,
            status_code=error.status_code, response_excerpt=error.response_excerpt,
        )


class CreditNoteExporter(InvoiceExporter):
    """Posted only after the invoice it credits is in Azets (`credited_invoice_check`)."""

    kind = TransferKind.CREDIT_NOTE

    def ensure_dependencies(self, credit_note: Invoice) -> None:
        credited_invoice_check(connection=self.connection, credit_note=credit_note)
        super().ensure_dependencies(credit_note)
