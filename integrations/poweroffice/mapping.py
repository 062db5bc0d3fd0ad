"""Pure mapping between Ledgerbridge records and PowerOffice Go v2 Dtos (no I/O in here).

Field names follow contract.json; NOTES.md §2 and §3 say where each seed field goes. What the API
has no field for is said where it happens (unit price and discount go into the line description).
Payloads keep Decimal and date values; the client turns them into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from integrations.documents import document_reference_of
from integrations.errors import DataError

Dto = dict[str, Any]

DELIVERY_TYPES = {"print": "Print", "email": "PdfByEmail", "ehf": "EHF"}
PROJECT_STATUSES = {
    "active": ("Active", True),
    "planned": ("NotStarted", True),
    "completed": ("Complete", False),
    "inactive": ("Archived", False),
}
#: PATCH /Customers/{id} cannot change these (PaymentTerm is read-only on CustomerDto).
CUSTOMER_POST_ONLY = ("PaymentTerm",)


# -- customers --------------------------------------------------------------------------------
def customer_number(customer) -> int:
    """The customer's number in PowerOffice Go: ours, unless an external ledger number is set."""
    return int(customer.external_ledger_number or customer.number)


def invoice_delivery_type(customer) -> str:
    """InvoiceDeliveryType. The customer's chosen method decides; e-mail needs an address to send
    to, so a customer set to e-mail without any e-mail address goes out as print (the inventory
    flow's rule: e-mail when an invoice e-mail is set, otherwise print). A customer who chose
    print stays on print even with an invoice e-mail: an explicit choice beats an inference."""
    method = customer.invoice_delivery_method
    if method == "email" and not (customer.invoice_email or customer.email):
        method = "print"
    return DELIVERY_TYPES[method]


def customer_check(customer) -> None:
    """Refuse a customer PowerOffice Go would not invoice correctly (before any call): anything
    but print needs an organization number (the delivery type actually sent is checked)."""
    if invoice_delivery_type(customer) != "Print" and not customer.organization_number.strip():
        raise DataError(
            _(
                "%(record)s: invoice delivery method is %(method)s, which needs an organization "
                "number in PowerOffice Go. Add the organization number or choose print."
            )
            % {"record": customer.label, "method": customer.get_invoice_delivery_method_display()},
            record=str(customer.label),
            field="organization_number",
        )


def mail_address(record) -> Dto | None:
    parts = (record.address_line1, record.address_line2, record.postcode, record.city)
    if not any(parts) and record.country_code in ("", "NO"):
        return None
    return {
        "AddressLine1": record.address_line1 or None,
        "AddressLine2": record.address_line2 or None,
        "ZipCode": record.postcode,
        "City": record.city,
        "CountryCode": record.country_code or "NO",
    }


def customer_payload(customer) -> Dto:
    """CustomerPostDto. Raises DataError (customer_check) before anything is built."""
    customer_check(customer)
    payload = {
        "Name": customer.name,
        "Number": customer_number(customer),
        "OrganizationNumber": customer.organization_number or None,
        "EmailAddress": customer.email or None,
        "InvoiceEmailAddress": customer.invoice_email or None,
        "PhoneNumber": customer.phone or None,
        "MailAddress": mail_address(customer),
        "InvoiceDeliveryType": invoice_delivery_type(customer),
        "Allowance": customer.discount_percent,
        "PaymentTerm": customer.payment_terms_days,
    }
    if payload["MailAddress"] is None:  # the contract has no null address: leave it out
        del payload["MailAddress"]
    return payload


def number_in_series(number: int, series: list[tuple[int, int]]) -> bool:
    return any(low <= number <= high for low, high in series)


def number_series_error(record, number: int, series: list[tuple[int, int]]) -> DataError:
    """The customer or employee number lies outside its sub-ledger number series."""
    ranges = ", ".join(f"{low}–{high}" for low, high in series) or _("none")
    return DataError(
        _(
            "%(record)s: number %(number)s is outside the %(register)s number series in "
            "PowerOffice Go (%(ranges)s). Renumber it, set its external ledger number, or add a "
            "series there."
        )
        % {
            "record": record.label,
            "number": number,
            "register": record._meta.verbose_name,
            "ranges": ranges,
        },
        record=str(record.label),
        field="number",
    )


# -- departments and projects -----------------------------------------------------------------
def department_payload(department, *, manager_id: int | None = None) -> Dto:
    """DepartmentPostDto; the manager by id (PATCH takes ManagerEmployeeId only)."""
    payload: Dto = {"Name": department.name, "Code": department.code, "IsActive": department.active}
    if manager_id is not None:
        payload["ManagerEmployeeId"] = manager_id
    return payload


def project_payload(
    project, *, customer_id: int | None, department_id: int | None, manager_id: int | None
) -> Dto:
    """ProjectPostDto with ids (the PATCH takes ids only, so POST uses them too)."""
    status, active = PROJECT_STATUSES[project.state]
    payload: Dto = {
        "Name": project.name,
        "Code": project.number,
        "CustomerId": customer_id,
        "DepartmentId": department_id,
        "ProjectStatus": status,
        "IsActive": active,
    }
    if manager_id is not None:
        payload["ProjectManagerEmployeeId"] = manager_id
    return payload


# -- updates ------------------------------------------------------------------------------------
def changed_fields_patch(remote: Dto, desired: Dto, *, skip: tuple[str, ...] = ()) -> list[Dto]:
    """JSON Patch `replace` operations for the properties whose remote value differs.

    Nested objects (MailAddress) are compared per property and patched by path when the remote
    one exists, replaced whole when it does not.
    """
    operations: list[Dto] = []
    for name, value in desired.items():
        if name in skip:
            continue
        current = remote.get(name)
        if isinstance(value, dict) and isinstance(current, dict):
            for sub, sub_value in value.items():
                if not _same(current.get(sub), sub_value):
                    operations.append(_replace(f"/{name}/{sub}", sub_value))
        elif not _same(current, value):
            operations.append(_replace(f"/{name}", value))
    return operations


def _replace(path: str, value: Any) -> Dto:
    return {"op": "replace", "path": path, "value": value}


def _same(current: Any, value: Any) -> bool:
    if isinstance(value, Decimal) and isinstance(current, int | float):
        return Decimal(str(current)) == value
    if value in ("", None) and current in ("", None):
        return True
    return current == value


# -- vouchers -----------------------------------------------------------------------------------
@dataclass
class VoucherRefs:
    """PowerOffice ids a voucher refers to, resolved by the exporter before mapping."""

    customer_account_id: int
    project_id: int | None = None
    department_id: int | None = None
    account_ids: dict[int, int] = field(default_factory=dict)  # account number -> id
    vat_ids: dict[str, int] = field(default_factory=dict)  # external VAT code -> VatId


def voucher_reference(invoice) -> str:
    """The ExternalImportReference: the invoice's transfer reference, fixed when it was
    finalized (accounting.references), the same for every attempt."""
    return document_reference_of(invoice)


def matching_reference(invoice) -> str:
    """Invoices match on their own number, credit notes on the number of the invoice they credit."""
    original = invoice.credited_invoice if invoice.is_credit_note else None
    return str(original.number if original else invoice.number)


def voucher_description(invoice) -> str:
    text = invoice.description or str(invoice.label)
    if invoice.is_credit_note:
        text = _("%(text)s (credits invoice %(number)s)") % {
            "text": text,
            "number": invoice.credited_invoice.number,
        }
    return text[:255]


def line_description(line) -> str:
    """Description with quantity, unit price and discount: the voucher line has no field for the
    price or the discount."""
    text = f"{line.description} ({_number(line.quantity)} × {_number(line.unit_price)}"
    if line.discount_percent:
        text += _(", discount %(percent)s %%") % {"percent": _number(line.discount_percent)}
    return (text + ")")[:255]


def _number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _line_ids(invoice, line, refs: VoucherRefs) -> tuple[int, int]:
    account = line.account
    if account.number not in refs.account_ids:
        raise DataError(
            _("%(invoice)s line %(line)s: account %(account)s does not exist in PowerOffice Go.")
            % {"invoice": invoice.label, "line": line.line_no, "account": account.number},
            record=str(invoice.label),
            field="lines",
        )
    code = account.external_vat_code
    if code not in refs.vat_ids:
        raise DataError(
            _(
                "%(invoice)s line %(line)s: account %(account)s has external VAT code %(code)s, "
                "which is not a VAT code in PowerOffice Go."
            )
            % {"invoice": invoice.label, "line": line.line_no, "account": account.number,
               "code": code},
            record=str(invoice.label),
            field="lines",
        )  # fmt: skip
    return refs.account_ids[account.number], refs.vat_ids[code]


def outgoing_invoice_payload(invoice, lines, refs: VoucherRefs) -> Dto:
    """Route A: OutgoingInvoiceVoucherDto (POST /Vouchers/OutgoingInvoiceJournals).

    Amounts are in the invoice currency and include VAT (header total = sum of the lines); a
    credit note has negative amounts (PowerOffice has no credit-note flag on the voucher).
    """
    voucher_lines = []
    for line in lines:
        account_id, vat_id = _line_ids(invoice, line, refs)
        voucher_lines.append({
            "Description": line_description(line),
            "AccountId": account_id,
            "VatId": vat_id,
            "Quantity": line.quantity,
            "CurrencyAmount": line.amount_incl_vat,
            "ProjectId": refs.project_id,
            "DepartmentId": refs.department_id,
        })  # fmt: skip
    return {
        "ExternalImportReference": voucher_reference(invoice),
        "InvoiceNo": str(invoice.number),
        "ImportedVoucherNo": invoice.number,
        "Description": voucher_description(invoice),
        "CustomerAccountId": refs.customer_account_id,
        "ProjectId": refs.project_id,
        "DepartmentId": refs.department_id,
        "VoucherDate": invoice.invoice_date,
        "DueDate": invoice.due_date,
        "Cid": invoice.kid or None,
        "CurrencyAmount": sum((line.amount_incl_vat for line in lines), Decimal("0.00")),
        "CurrencyCode": invoice.currency_code,
        "CurrencyExchangeRate": invoice.currency_rate,
        "CustomMatchingReference": matching_reference(invoice),
        "CustomerReference": invoice.your_reference or None,
        "OutgoingInvoiceLines": voucher_lines,
    }


def manual_journal_payload(invoice, lines, refs: VoucherRefs) -> Dto:
    """Route B: ManualVoucherPostDto (POST /Vouchers/ManualJournals), balanced.

    The customer line carries the total (positive on an invoice) and the matching reference;
    revenue lines carry the gross amounts with the opposite sign. Due date and KID are lost.
    """
    common = {
        "PostingDate": invoice.invoice_date,
        "CurrencyCode": invoice.currency_code,
        "CurrencyExchangeRate": invoice.currency_rate,
        "ProjectId": refs.project_id,
        "DepartmentId": refs.department_id,
    }
    total = sum((line.amount_incl_vat for line in lines), Decimal("0.00"))
    customer_line = {
        **common,
        "AccountId": refs.customer_account_id,
        "VatId": None,
        "CurrencyAmount": total,
        "Description": voucher_description(invoice),
        "CustomMatchingReference": matching_reference(invoice),
    }
    revenue_lines = []
    for line in lines:
        account_id, vat_id = _line_ids(invoice, line, refs)
        revenue_lines.append({
            **common, "AccountId": account_id, "VatId": vat_id, "Quantity": line.quantity,
            "CurrencyAmount": -line.amount_incl_vat, "Description": line_description(line),
        })  # fmt: skip
    return {
        "ExternalImportReference": voucher_reference(invoice),
        "ImportedVoucherNo": invoice.number,
        "Description": voucher_description(invoice),
        "VoucherDate": invoice.invoice_date,
        "CurrencyCode": invoice.currency_code,
        "VoucherLines": [customer_line, *revenue_lines],
    }
