"""Pure mapping between our records and the Azets contract (contract/azets-v1.json).

`<entity>_payload()` builds request bodies; `parse_<thing>()` turns replies into small
dataclasses. No HTTP and no writes here; a record that cannot be sent raises DataError naming
the record and the field.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounting.money import ZERO, round_money
from integrations.errors import DataError, Unavailable
from integrations.preflight import invoice_vat_codes_check

from .types import AzetsExpense, AzetsScope, ExpensePage, OrgUnit, Stored

if TYPE_CHECKING:
    from accounting.models import Customer, Department, Invoice, Project

    from .models import AzetsSettings

MAX_TEXT_ORG_UNIT = 10


def money(value: Decimal) -> str:
    """A decimal string with exactly two decimals ("12500.00")."""
    return f"{round_money(value):.2f}"


def org_unit_value(no: int, value: str, *, record: str, field: str) -> dict[str, Any]:
    """A value on organisational unit `no`; R1-R6 hold integers, R7-R12 text of <= 10 chars."""
    value = str(value).strip()
    if no <= 6 and not value.isdigit():
        raise DataError(
            _("%(record)s: %(field)s “%(value)s” is not a number, but organisational unit "
              "%(no)s holds numbers only; choose a unit from 7 to 12 or use a numeric value.")
            % {"record": record, "field": field, "value": value, "no": no},
            record=record, field=field,
        )
    if no > 6 and len(value) > MAX_TEXT_ORG_UNIT:
        raise DataError(
            _("%(record)s: %(field)s “%(value)s” is longer than %(limit)s characters, the "
              "limit of organisational unit %(no)s.")
            % {"record": record, "field": field, "value": value, "limit": MAX_TEXT_ORG_UNIT,
               "no": no},
            record=record, field=field,
        )
    return {"orgUnit": no, "value": value}


# -- registers ---------------------------------------------------------------------------------
def customer_payload(customer: Customer) -> dict[str, Any]:
    address = {
        "line1": customer.address_line1,
        "line2": customer.address_line2,
        "postalCode": customer.postcode,
        "city": customer.city,
    }
    return {
        "name": customer.name,
        "organizationNo": customer.organization_number or None,
        "email": customer.email or None,
        "address": {key: value for key, value in address.items() if value},
        "countryCode": (customer.country_code or "NO").upper(),
    }


def department_value(
    department: Department | None, settings: AzetsSettings, *, record: str
) -> dict[str, Any] | None:
    if department is None or not settings.department_dimension:
        return None
    return org_unit_value(
        settings.department_dimension, department.code, record=record, field="department code"
    )


def project_payload(project: Project, settings: AzetsSettings) -> dict[str, Any]:
    label = f"Project {project.number}"
    if settings.project_dimension:
        org_unit_value(settings.project_dimension, project.number, record=label, field="number")
    return {
        "name": project.name,
        "customerNo": str(project.customer.number) if project.customer_id else None,
        "orgUnit": settings.project_dimension,
        "department": department_value(project.department, settings, record=label),
    }


# -- vouchers ----------------------------------------------------------------------------------
def voucher_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """One line per financial account (in account order) with its external VAT code and the
    summed net and VAT amounts of every invoice line on it."""
    lines = sorted(invoice.lines.all(), key=lambda item: item.line_no)
    invoice_vat_codes_check(invoice=invoice, lines=lines)  # the one rule, shared with PowerOffice
    groups: OrderedDict[int, dict[str, Any]] = OrderedDict()
    for line in sorted(lines, key=lambda item: item.account.number):
        account = line.account
        group = groups.setdefault(account.number, {
            "accountNo": str(account.number), "vatCode": account.external_vat_code,
            "net": ZERO, "vat": ZERO, "description": account.name[:255],
        })
        group["net"] += line.amount_excl_vat
        group["vat"] += line.vat_amount
    return [
        {"accountNo": g["accountNo"], "vatCode": g["vatCode"], "netAmount": money(g["net"]),
         "vatAmount": money(g["vat"]), "description": g["description"]}
        for g in groups.values()
    ]


def voucher_dimensions(invoice: Invoice, settings: AzetsSettings) -> dict[str, Any]:
    label = str(invoice.label)
    project = invoice.project
    dimensions: dict[str, Any] = {"project": None, "department": None}
    if project is not None and settings.project_dimension:
        dimensions["project"] = org_unit_value(
            settings.project_dimension, project.number, record=label, field="project number"
        )
    department = invoice.department or (project.department if project else None)
    dimensions["department"] = department_value(department, settings, record=label)
    return dimensions


def voucher_description(invoice: Invoice) -> str:
    """The invoice's description, else its label in the site language, never the language of
    whoever happens to trigger the transfer: Azets compares a replayed voucher with the posted
    one, so the same invoice must always give the same text."""
    if invoice.description:
        return invoice.description
    with translation.override(django_settings.LANGUAGE_CODE):
        return str(invoice.label)


def voucher_payload(invoice: Invoice, settings: AzetsSettings) -> dict[str, Any]:
    """The voucher of a finalized invoice or credit note; voucher number = invoice number."""
    lines = voucher_lines(invoice)
    total = sum((Decimal(x["netAmount"]) + Decimal(x["vatAmount"]) for x in lines), ZERO)
    payload = {
        "invoiceNo": str(invoice.number),
        "description": voucher_description(invoice),
        "customerNo": str(invoice.customer.number),
        "projectNo": invoice.project.number if invoice.project_id else None,
        "invoiceDate": invoice.invoice_date.isoformat(),
        "dueDate": (invoice.due_date or invoice.invoice_date).isoformat(),
        "paymentId": invoice.kid or None,
        "totalInclVat": money(total),
        "yourReference": invoice.your_reference or None,
        "currency": invoice.currency_code,
        "creditNoteFor": (
            str(invoice.credited_invoice.number) if invoice.credited_invoice_id else None
        ),
        "dimensions": voucher_dimensions(invoice, settings),
        "lines": lines,
    }
    if settings.accrual_enabled:
        payload["accrual"] = {
            "debitAccountNo": settings.accrual_debit_account,
            "creditAccountNo": settings.accrual_credit_account,
        }
    return payload


# -- replies -----------------------------------------------------------------------------------
def _require(data: Any, *keys: str, what: str) -> dict[str, Any]:
    if not isinstance(data, dict) or any(key not in data for key in keys):
        raise Unavailable(
            _("Azets answered %(what)s without %(keys)s") % {"what": what, "keys": ", ".join(keys)},
            system="azets",
        )
    return data


def parse_stored(data: Any, status: int) -> Stored:
    data = _require(data, "id", what=_("a write"))
    return Stored(str(data["id"]), created=status == 201, replayed=bool(data.get("replayed")))


def parse_scope(data: Any) -> AzetsScope:
    data = _require(data, "name", "ledger", what=_("the client scope"))
    units = tuple(
        OrgUnit(int(u["no"]), str(u.get("name", "")), str(u.get("valueType", "")))
        for u in data.get("orgUnits") or []
    )
    return AzetsScope(str(data["name"]), str(data["ledger"]), units)


def parse_expense_page(data: Any) -> ExpensePage:
    data = _require(data, "items", what=_("the expense feed"))
    return ExpensePage(list(data["items"]), data.get("nextCursor") or None)


def parse_expense(raw: dict[str, Any]) -> AzetsExpense:
    """An expense of the feed; DataError naming it when a field is missing or malformed."""
    name = _("Azets expense %(id)s") % {"id": raw.get("expenseId", "?")}
    try:
        return AzetsExpense(
            expense_id=str(raw["expenseId"]),
            voucher_no=str(raw.get("voucherNo") or ""),
            voucher_date=date.fromisoformat(raw["voucherDate"]),
            account_no=int(raw["accountNo"]),
            project_no=str(raw.get("projectNo") or ""),
            description=str(raw.get("description") or "")[:255],
            amount_incl_vat=round_money(Decimal(str(raw["amountInclVat"]))),
            currency=str(raw.get("currency") or "NOK"),
            supplier_name=str(raw.get("supplierName") or "")[:200],
            supplier_invoice_no=str(raw.get("supplierInvoiceNo") or ""),
            org_units={str(k): str(v) for k, v in (raw.get("orgUnits") or {}).items()},
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as err:
        raise DataError(
            _("%(record)s: unreadable (%(error)s).")
            % {"record": name, "error": f"{type(err).__name__}: {err}"},
            record=name,
        ) from err
