"""Checks every connector runs before it sends an invoice anywhere (no HTTP in here).

One place for the rules that do not depend on the external system, so PowerOffice Go, Azets and
any later connector refuse the same invoices with the same message:

    from integrations.preflight import invoice_vat_codes_check, lock_date_check
    invoice_vat_codes_check(invoice=invoice)            # before any call
    lock_date_check(record=invoice.label, day=invoice.invoice_date, lock_date=remote_lock_date)

Both raise `integrations.errors.DataError` naming the record and the field, so the engine fails
the transfer at once (no retry) and the failure mail says what to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _

from .errors import DataError


def invoice_vat_codes_check(*, invoice, lines: Iterable | None = None) -> None:
    """Every line's account must carry an external VAT code (the accounting system's code).

    Raises DataError for the first offending line: "Invoice 10023 line 2: account 3000 has no
    external VAT code". `lines` may be passed when they are already loaded (with accounts).
    """
    if lines is None:
        lines = invoice.lines.select_related("account").order_by("line_no")
    for line in lines:
        if not (line.account.external_vat_code or "").strip():
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
