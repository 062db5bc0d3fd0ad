"""Look-ups the imports need beside their main list: supplier names per voucher (one
supplier-ledger read per date span, cached for the run) and our invoice for a ledger entry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db.models import Min
from django.utils.translation import gettext as _

from accounting.models import Invoice
from integrations.errors import DataError
from integrations.links import link_for_external_id

from . import parsing


class SupplierNames:
    """Supplier name per VoucherId, from `GET /Supplierledger/Statement` (NOTES.md §5 (a)).

    The statement is read for the dates of the vouchers not yet known, and each date span is
    read once per run, so a daily import costs one extra call.
    """

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client = client_factory
        self.names: dict[str, str] = {}
        self.span: tuple[dt.date, dt.date] | None = None

    def load_for(self, rows: list[dict[str, Any]]) -> None:
        wanted = [r for r in rows if str(r.get("VoucherId")) not in self.names]
        dates = sorted({d for r in wanted for d in _dates(r)})
        if not dates:
            return
        for start, end in self._missing(dates[0], dates[-1]):
            entries = self._client().list_supplier_ledger_statement(from_date=start, to_date=end)
            self.names.update(parsing.supplier_names_by_voucher(list(entries)))

    def _missing(self, low: dt.date, high: dt.date) -> list[tuple[dt.date, dt.date]]:
        if self.span is None:
            self.span = (low, high)
            return [(low, high)]
        start, end = self.span
        parts = []
        if low < start:
            parts.append((low, start - dt.timedelta(days=1)))
        if high > end:
            parts.append((end + dt.timedelta(days=1), high))
        self.span = (min(low, start), max(high, end))
        return parts

    def name_for(self, voucher_id: str) -> str:
        return self.names.get(str(voucher_id), "")


def _dates(row: dict[str, Any]) -> list[dt.date]:
    """The voucher and posting dates of a row (the statement may filter on either)."""
    found = []
    for name in ("VoucherDate", "PostingDate"):
        try:
            found.append(dt.date.fromisoformat(str(row.get(name))[:10]))
        except ValueError:
            continue
    return found


class InvoiceMatcher:
    """Our finalized invoice for a customer-ledger entry: by the voucher we posted (its
    ExternalLink), then InvoiceNo, then the number in CustomMatchingReference or
    ExternalImportReference (manual-journal route)."""

    def __init__(self, *, connection, client) -> None:
        self.connection = connection
        self.client = client
        self.finalized = Invoice.objects.filter(client=client, state=Invoice.State.FINALIZED)

    def earliest_open_invoice_date(self) -> dt.date | None:
        """The oldest invoice date of a finalized invoice not yet fully paid (None: none)."""
        open_invoices = self.finalized.exclude(payment_status=Invoice.PaymentStatus.PAID)
        return open_invoices.aggregate(first=Min("invoice_date"))["first"]

    def invoice_for(self, entry: parsing.LedgerEntry) -> Invoice:
        link = link_for_external_id(
            connection=self.connection, model=Invoice, external_id=entry.voucher_id
        )
        if link is not None and isinstance(link.object, Invoice):
            return link.object
        for number in self._numbers(entry):
            invoice = self.finalized.filter(number=number).first()
            if invoice is not None:
                return invoice
        raise DataError(
            _("Customer ledger entry %(id)s (voucher %(voucher)s, invoice no %(invoice)s): no "
              "finalized invoice of %(client)s matches it.")
            % {"id": entry.entry_id, "voucher": entry.voucher_no,
               "invoice": entry.invoice_no or "-", "client": self.client},
            record=_("voucher %(voucher)s") % {"voucher": entry.voucher_no},
            field="InvoiceNo",
        )

    @staticmethod
    def _numbers(entry: parsing.LedgerEntry) -> list[int]:
        numbers = []
        if entry.invoice_no.isdigit():
            numbers.append(int(entry.invoice_no))
        for reference in (entry.custom_matching_reference, entry.external_import_reference):
            digits = re.findall(r"\d+", reference)
            if digits:
                numbers.append(int(digits[-1]))
        return numbers
