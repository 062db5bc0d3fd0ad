"""Small parsed answers of the Azets API (built by mapping.parse_*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class OrgUnit:
    no: int
    name: str
    value_type: str


@dataclass(frozen=True)
class AzetsScope:
    name: str
    ledger: str
    org_units: tuple[OrgUnit, ...] = ()

    def org_unit_name(self, no: int | None) -> str:
        return next((unit.name for unit in self.org_units if unit.no == no), "")


@dataclass(frozen=True)
class Stored:
    external_id: str
    created: bool
    replayed: bool = False


@dataclass(frozen=True)
class ExpensePage:
    items: list[dict]
    next_cursor: str | None


@dataclass(frozen=True)
class AzetsExpense:
    expense_id: str
    voucher_no: str
    voucher_date: date
    account_no: int
    project_no: str
    description: str
    amount_incl_vat: Decimal
    currency: str
    supplier_name: str
    supplier_invoice_no: str
    org_units: dict[str, str] = field(default_factory=dict)
