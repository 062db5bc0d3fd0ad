"""Every write path of the accounting domain. Admin, commands and tasks call these."""

from .clients import client_create, vat_codes_create_standard
from .invoices import (
    invoice_credit,
    invoice_finalize,
    invoice_line_delete,
    invoice_line_save,
    invoice_save,
)
from .orders import sales_order_mark_invoiced
from .payments import expense_record, invoice_payment_status_refresh, payment_record
from .records import TRANSFER_KINDS, record_save, transfer_kind_for

__all__ = [
    "TRANSFER_KINDS",
    "client_create",
    "expense_record",
    "invoice_credit",
    "invoice_finalize",
    "invoice_line_delete",
    "invoice_line_save",
    "invoice_payment_status_refresh",
    "invoice_save",
    "payment_record",
    "record_save",
    "sales_order_mark_invoiced",
    "transfer_kind_for",
    "vat_codes_create_standard",
]
