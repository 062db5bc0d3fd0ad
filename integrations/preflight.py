"""Checks every connector runs before it sends an invoice anywhere (no HTTP in here).

One place for the rules that do not depend on the external system, so PowerOffice Go, Azets and
any later connector refuse the same invoices with the same message:

    from integrations.preflight import invoice_vat_codes_check, lock_date_check
    invoice_vat_codes_check(invoice=invoice)            # before any call
    lock_date_check(record=invoice.label, day=invoice.invoice_date, lock_date=remote_lock_date)
    credited_invoice_check(connection=connection, credit_note=credit_note)

Both raise `integrations.errors.DataError` naming the record and the field, so the engine fails
the transfer at once (no retry) and the failure mail says what to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from .errors import DataError, Deferred
from .links import link_for_object
from .models import Transfer, TransferKind, TransferStatus


def line_without_external_vat_code(lines: Iterable):
    """The first line whose account has no external VAT code (the accounting system's code),
    or None. The one rule, used before a transfer and at finalize
    (integrations.reconciliation.account_plan)."""
    for line in lines:
        if not (line.account.external_vat_code or "").strip():
            return line
    return None


def invoice_vat_codes_check(*, invoice, lines: Iterable | None = None) -> None:
    """Every line's account must carry an external VAT code (the accounting system's code).

    Raises DataError for the first offending line: "Invoice 10023 line 2: account 3000 has no
    external VAT code". `lines` may be passed when they are already loaded (with accounts).
    """
    if lines is None:
        lines = invoice.lines.select_related("account").order_by("line_no")
    line = line_without_external_vat_code(lines)
    if line is not None:
        raise DataError(
            _(
                "%(invoice)s line %(line)s: account %(account)s has no external VAT code. "
                "Set it on the account (Accounts, filter “external VAT code: missing”) and "
                "re-queue the transfer."
            )
            % {"invoice": invoice.label, "line": line.line_no, "account": line.account.number},
            record=str(invoice.label),
            field="lines",
        )


def lock_date_check(*, record: str, day: dt.date, lock_date: dt.date | None) -> None:
    """Refuse to post a document dated on or before the accounting system's lock date."""
    if lock_date is not None and day <= lock_date:
        raise DataError(
            _(
                "%(record)s: the date %(day)s is in a period locked in the accounting system "
                "(locked up to and including %(lock)s). Open the period there or correct the "
                "date, then re-queue the transfer."
            )
            % {"record": record, "day": day.isoformat(), "lock": lock_date.isoformat()},
            record=record,
            field="invoice_date",
        )


def credited_invoice_check(*, connection, credit_note) -> None:
    """A credit note goes only after the invoice it credits is in the accounting system on the
    same connection: Deferred while that invoice's transfer is still on its way, DataError
    naming it when that transfer failed, was cancelled, or the invoice was never sent there."""
    invoice = credit_note.credited_invoice
    if invoice is None or link_for_object(connection=connection, obj=invoice) is not None:
        return
    latest = (
        Transfer.objects.filter(
            connection=connection,
            content_type=ContentType.objects.get_for_model(invoice),
            object_id=invoice.pk,
            kind=TransferKind.INVOICE,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    names = {"credit_note": credit_note.label, "invoice": invoice.label}
    if latest is not None and latest.status in (TransferStatus.PENDING, TransferStatus.RUNNING):
        raise Deferred(
            _("%(credit_note)s waits until %(invoice)s, which it credits, is posted.") % names,
            delay=30.0,
        )
    if latest is not None and latest.status == TransferStatus.FAILED:
        reason = _("the transfer of %(invoice)s failed; fix and re-queue it first") % names
    elif latest is not None and latest.status == TransferStatus.SKIPPED:
        reason = _("%(invoice)s was not transferred (%(why)s)") % {
            **names, "why": (latest.result or {}).get("message") or latest.get_status_display()}
    else:
        reason = _("%(invoice)s was never sent to this connection; re-transfer it first") % names
    raise DataError(
        _("%(credit_note)s credits %(invoice)s, which is not in the accounting system: "
          "%(reason)s. The credit note was not posted.") % {**names, "reason": reason},
        record=str(credit_note.label), field="credited_invoice",
    )  # fmt: skip
