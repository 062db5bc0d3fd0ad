"""Pure mapping of the registers of the inventory and agency flows (issue 8): employees, contact
persons, suppliers, product groups and products. Customers, projects and departments are in
`mapping.py`. Field names follow contract.json (NOTES.md §2).

What the contract has no field for (said where it happens):
- Supplier payment terms and VAT zone: SupplierPostDto has neither (contract gap
  `supplier_vat_zone`). The VAT zone (domestic for NO, otherwise abroad) is computed here
  (`supplier_vat_zone`) and stays on our side; PowerOffice derives the treatment from the accounts
  and VAT codes used when posting.
- Bills of materials: ProductPostDto has no component field. Components are exported as products
  of their own before the package; the composition stays here.
- Units: there is no unit resource, only the UnitOfMeasureType codes (`unit_code`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounting.models.products import ALTERNATIVE_SALES_ACCOUNT_DEFAULT
from integrations.errors import DataError

from .mapping import mail_address

Dto = dict[str, Any]

#: The supplier group new suppliers join in PowerOffice Go, and the one initial sync files them in.
DEFAULT_SUPPLIER_GROUP = "PowerOffice"
DOMESTIC, ABROAD = "domestic", "abroad"
PRODUCT_TYPES = {"goods": "Product", "service": "Service"}
#: Sales account when the product group names none, by the product's VAT rate.
DEFAULT_SALES_ACCOUNTS = {Decimal("25"): 3000, Decimal("15"): 3030, Decimal("0"): 3100}
#: UnitOfMeasureType codes (contract) for the unit codes people type most often.
UNIT_CODES = {
    "pcs": "EA", "stk": "EA", "ea": "EA", "h": "HUR", "hour": "HUR", "t": "HUR", "time": "HUR",
    "day": "DAY", "dag": "DAY", "kg": "KGM", "g": "GRM", "l": "LTR", "m": "MTR", "km": "KMT",
    "m2": "MTK", "m3": "MTQ", "month": "MON", "mnd": "MON", "set": "SET", "kwh": "KWH",
}  # fmt: skip
#: English names of the codes above, for units read from PowerOffice Go.
UNIT_NAMES = {
    "EA": "Each", "HUR": "Hour", "DAY": "Day", "KGM": "Kilogram", "GRM": "Gram", "LTR": "Litre",
    "MTR": "Metre", "KMT": "Kilometre", "MTK": "Square metre", "MTQ": "Cubic metre",
    "MON": "Month", "SET": "Set", "KWH": "Kilowatt hour", "ANN": "Year", "WEE": "Week",
}  # fmt: skip


def ledger_number(record) -> int:
    """A customer's or employee's number there: the external ledger number when set."""
    return int(record.external_ledger_number or record.number)


# -- employees and contact persons ----------------------------------------------------------------
def employee_payload(employee, *, department_id: int | None) -> Dto:
    """EmployeePostDto. The department by id (PATCH takes DepartmentId only); None when the
    department is not in PowerOffice Go yet."""
    return {
        "FirstName": employee.first_name,
        "LastName": employee.last_name,
        "Number": ledger_number(employee),
        "EmailAddress": employee.email or None,
        "DepartmentId": department_id,
        "IsArchived": not employee.active,
    }


def contact_person_code(person) -> str:
    """ExternalCode (≤ 50): our key for the contact person, stable across renames."""
    return f"LB-CP-{person.pk}"


def contact_person_payload(person) -> Dto:
    return {
        "FirstName": person.first_name,
        "LastName": person.last_name,
        "EmailAddress": person.email or None,
        "PhoneNumber": person.phone or None,
        "ExternalCode": contact_person_code(person),
        "IsActive": True,
    }


# -- suppliers ---------------------------------------------------------------------------------
def supplier_skip_reason(supplier) -> str:
    """Why a supplier is not sent at all ("" when it is)."""
    if not supplier.organization_number.strip():
        return _(
            "%(record)s has no organization number; only suppliers with one are transferred."
        ) % {"record": supplier.label}
    return ""


def supplier_vat_zone(supplier) -> str:
    """Domestic when the supplier's country is NO, otherwise abroad (kept on our side)."""
    return DOMESTIC if (supplier.country_code or "NO") == "NO" else ABROAD


def supplier_group_name(supplier) -> str:
    return supplier.group.name if supplier.group_id else DEFAULT_SUPPLIER_GROUP


def supplier_payload(supplier, *, group_id: int | None) -> Dto:
    """SupplierPostDto (created once, never patched)."""
    return {
        "Name": supplier.name,
        "Number": int(supplier.number),
        "OrganizationNumber": supplier.organization_number.strip(),
        "EmailAddress": supplier.email or None,
        "MailAddress": mail_address(supplier),
        "CurrencyCode": supplier.currency_code or "NOK",
        "ContactGroupIds": [group_id] if group_id is not None else None,
    }


# -- products -----------------------------------------------------------------------------------
def unit_code(unit) -> str | None:
    """The unit's UnitOfMeasureType code; DataError when it has none we can tell."""
    if unit is None:
        return None
    code = unit.external_code or UNIT_CODES.get(unit.code.strip().lower(), "")
    if not code and unit.code.strip().upper() in UNIT_NAMES:
        code = unit.code.strip().upper()
    if not code:
        raise DataError(
            _(
                "%(record)s has no external unit code (e.g. EA, HUR, KGM). Set it on the unit "
                "before its products are transferred."
            )
            % {"record": unit.label},
            record=str(unit.label),
            field="external_code",
        )
    return code


def product_sales_account(product) -> int:
    """The product group's sales account, else the default for the product's VAT rate."""
    group = product.group
    if group is not None and group.sales_account_id:
        return int(group.sales_account.number)
    account = DEFAULT_SALES_ACCOUNTS.get(Decimal(product.vat_rate).normalize())
    if account is None:
        raise DataError(
            _(
                "%(record)s: no default sales account for %(rate)s %% VAT. Give its product "
                "group a sales account."
            )
            % {"record": product.label, "rate": Decimal(product.vat_rate).normalize()},
            record=str(product.label),
            field="group",
        )
    return account


def sales_account_id(
    record, number: int, account_ids: dict[int, int], *, field: str = "sales_account"
) -> int:
    if number not in account_ids:
        raise DataError(
            _("%(record)s: sales account %(account)s does not exist in PowerOffice Go.")
            % {"record": record.label, "account": number},
            record=str(record.label),
            field=field,
        )
    return account_ids[number]


def alternative_sales_account_id(record, group, account_ids: dict[int, int]) -> int | None:
    """PowerOffice Go's OptionalSalesAccountId: the group's alternative sales account (which
    must exist there), else 3100 when PowerOffice Go has it, else none."""
    if group is not None and group.alternative_sales_account_id:
        number = int(group.alternative_sales_account.number)
        return sales_account_id(record, number, account_ids, field="alternative_sales_account")
    return account_ids.get(ALTERNATIVE_SALES_ACCOUNT_DEFAULT)


def product_group_payload(
    group, *, sales_account_id: int | None, alternative_sales_account_id: int | None = None
) -> Dto:
    """ProductGroupPostDto; the code is our group number."""
    return {
        "Name": group.name,
        "Code": str(group.number),
        "StandardSalesAccountId": sales_account_id,
        "OptionalSalesAccountId": alternative_sales_account_id,
    }


def product_payload(
    product,
    *,
    group_id: int | None,
    sales_account_id: int,
    alternative_sales_account_id: int | None = None,
) -> Dto:
    """ProductPostDto with ids (PATCH takes ProductGroupId and StandardSalesAccountId only)."""
    return {
        "Name": product.name,
        "Code": product.code,
        "Description": product.description or None,
        "ProductGroupId": group_id,
        "ProductType": PRODUCT_TYPES[product.type],
        "UnitOfMeasureCode": unit_code(product.unit),
        "UnitCost": product.cost_price,
        "UnitPrice": product.sales_price,
        "StandardSalesAccountId": sales_account_id,
        "OptionalSalesAccountId": alternative_sales_account_id,
        "IsArchived": not product.active,
    }
