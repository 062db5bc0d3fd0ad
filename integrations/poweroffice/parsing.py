"""Pure readers of what the imports fetch: account-transaction rows, customer-ledger entries,
voucher-documentation zips, and the split of a ledger match group into payments per invoice.

No HTTP and no database here; importers.py does those. Unusable rows raise DataError naming the
row and the field.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from accounting.money import ZERO, round_money
from integrations.errors import DataError

Row = dict[str, Any]

# Ledger entries of these voucher types are invoices/credit notes, never payments.
INVOICE_VOUCHER_TYPES = frozenset({"OutgoingInvoice", "OutgoingCreditNote"})
MAX_ATTACHMENT_BYTES = 30 * 1024 * 1024


def _money(row: Row, name: str, where: str) -> Decimal:
    value = row.get(name)
    if value is None:
        return ZERO
    try:
        return round_money(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError) as err:
        raise DataError(
            _("%(where)s: %(field)s “%(value)s” is not an amount.")
            % {"where": where, "field": name, "value": value},
            field=name,
        ) from err


def _date(row: Row, name: str, where: str) -> dt.date:
    value = row.get(name)
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError) as err:
        raise DataError(
            _("%(where)s: %(field)s “%(value)s” is not a date.")
            % {"where": where, "field": name, "value": value},
            field=name,
        ) from err


# -- expenses ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostRow:
    """One cost line of a posted voucher (an AccountTransactionDto row)."""

    row_id: str
    voucher_id: str
    voucher_no: int | None
    voucher_type: str
    account_no: int
    project_code: str
    description: str
    amount_incl_vat: Decimal
    currency_code: str
    voucher_date: dt.date
    posting_date: dt.date
    is_reversed: bool

    @property
    def external_reference(self) -> str:
        """Stable per transaction row: the voucher id plus the row's own id."""
        return f"{self.voucher_id}/{self.row_id}"

    @property
    def label(self) -> str:
        return _("Voucher %(voucher)s row %(row)s") % {
            "voucher": self.voucher_no or self.voucher_id, "row": self.row_id}


def parse_cost_row(raw: Row) -> CostRow:
    """An account-transaction row → CostRow. The amount incl. VAT is the row's amount in its
    currency plus its VAT (converted at the row's own rate when the currency is foreign)."""
    where = _("Account transaction %(id)s (voucher %(voucher)s)") % {
        "id": raw.get("Id", "?"), "voucher": raw.get("VoucherNo", "?")}
    for name in ("Id", "VoucherId", "AccountNo"):
        if raw.get(name) in (None, ""):
            raise DataError(
                _("%(where)s: %(field)s is missing.") % {"where": where, "field": name},
                field=name,
            )
    amount = _money(raw, "Amount", where)
    vat = _money(raw, "VatAmount", where)
    currency = (raw.get("CurrencyCode") or "NOK").upper()
    currency_amount = _money(raw, "CurrencyAmount", where) if "CurrencyAmount" in raw else amount
    if currency != "NOK" and amount:
        vat = round_money(vat * currency_amount / amount)
    return CostRow(
        row_id=str(raw["Id"]),
        voucher_id=str(raw["VoucherId"]),
        voucher_no=raw.get("VoucherNo"),
        voucher_type=str(raw.get("VoucherType") or ""),
        account_no=int(raw["AccountNo"]),
        project_code=str(raw.get("ProjectCode") or ""),
        description=str(raw.get("Description") or raw.get("VoucherDescription") or "")[:255],
        amount_incl_vat=currency_amount + vat,
        currency_code=currency,
        voucher_date=_date(raw, "VoucherDate", where),
        posting_date=_date(raw, "PostingDate", where),
        is_reversed=bool(raw.get("IsReversed")),
    )


def supplier_names_by_voucher(entries: list[Row]) -> dict[str, str]:
    """Supplier-ledger statement entries → {VoucherId: SupplierName} (first name wins)."""
    names: dict[str, str] = {}
    for entry in entries:
        voucher_id, name = entry.get("VoucherId"), entry.get("SupplierName")
        if voucher_id and name:
            names.setdefault(str(voucher_id), str(name))
    return names


def unzip_documents(content: bytes, *, where: str) -> list[tuple[str, bytes]]:
    """The files in a voucher-documentation zip as (file name, bytes), directories dropped and
    names reduced to their base name. Empty content → no files."""
    if not content:
        return []
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as err:
        raise DataError(
            _("%(where)s: the documentation download is not a zip file.") % {"where": where}
        ) from err
    files = []
    with archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size > MAX_ATTACHMENT_BYTES:
                continue
            name = posixpath.basename(info.filename.replace("\\", "/")) or "document"
            files.append((name[:200], archive.read(info)))
    return files


# -- payments ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerEntry:
    """One customer-ledger entry (CustomerLedgerEntryDto)."""

    entry_id: str
    voucher_id: str
    voucher_no: int | None
    voucher_type: str
    invoice_no: str
    custom_matching_reference: str
    external_import_reference: str
    amount: Decimal
    balance: Decimal
    match_id: int | None
    voucher_date: dt.date
    cid: str
    paid_from_bank_account: str

    @property
    def is_invoice(self) -> bool:
        return self.voucher_type in INVOICE_VOUCHER_TYPES

    @property
    def paid_amount(self) -> Decimal:
        """How much of this invoice entry is settled: amount less the open balance."""
        return self.amount - self.balance


def parse_ledger_entry(raw: Row) -> LedgerEntry:
    where = _("Customer ledger entry %(id)s (voucher %(voucher)s)") % {
        "id": raw.get("Id", "?"), "voucher": raw.get("VoucherNo", "?")}
    if raw.get("Id") in (None, ""):
        raise DataError(_("%(where)s: %(field)s is missing.") % {"where": where, "field": "Id"},
                        field="Id")
    return LedgerEntry(
        entry_id=str(raw["Id"]),
        voucher_id=str(raw.get("VoucherId") or ""),
        voucher_no=raw.get("VoucherNo"),
        voucher_type=str(raw.get("VoucherType") or ""),
        invoice_no=str(raw.get("InvoiceNo") or ""),
        custom_matching_reference=str(raw.get("CustomMatchingReference") or ""),
        external_import_reference=str(raw.get("ExternalImportReference") or ""),
        amount=_money(raw, "Amount", where),
        balance=_money(raw, "Balance", where),
        match_id=raw.get("MatchId"),
        voucher_date=_date(raw, "VoucherDate", where),
        cid=str(raw.get("Cid") or ""),
        paid_from_bank_account=str(raw.get("PaidFromBankAccount") or ""),
    )


@dataclass(frozen=True)
class PaymentShare:
    """The part of one payment entry that settles one invoice."""

    invoice_entry: LedgerEntry
    payment_entry: LedgerEntry
    amount: Decimal

    @property
    def external_reference(self) -> str:
        """Stable per (invoice voucher, payment entry): a payment split over several invoices
        gives one Payment per invoice."""
        return f"{self.invoice_entry.voucher_id}/{self.payment_entry.entry_id}"

    @property
    def reference(self) -> str:
        entry = self.payment_entry
        parts = [f"{entry.voucher_type} {entry.voucher_no or entry.voucher_id}"]
        if entry.cid:
            parts.append(f"KID {entry.cid}")
        if entry.paid_from_bank_account:
            parts.append(entry.paid_from_bank_account)
        return ", ".join(parts)[:255]


def payment_shares(invoice: LedgerEntry, group: list[LedgerEntry]) -> list[PaymentShare]:
    """Split the invoice's settled amount over the payment entries of its match group.

    Payments are taken oldest first (date, then entry id) and each contributes at most what is
    still unsettled, so the shares always sum to the invoice's paid amount and an earlier share
    never changes when a later payment joins the group.
    """
    if invoice.amount <= 0 or invoice.paid_amount <= 0:
        return []
    payments = sorted(
        (e for e in group if not e.is_invoice and e.amount < 0 and e.entry_id != invoice.entry_id),
        key=lambda e: (e.voucher_date, _sort_key(e.entry_id)),
    )
    shares, left = [], invoice.paid_amount
    for entry in payments:
        amount = min(-entry.amount, left)
        if amount <= 0:
            break
        shares.append(PaymentShare(invoice, entry, amount))
        left -= amount
    return shares


def _sort_key(entry_id: str) -> tuple[int, str]:
    return (int(entry_id), "") if entry_id.isdigit() else (0, entry_id)
