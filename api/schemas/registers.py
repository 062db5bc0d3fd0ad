"""Register documents: what a source system sends (…In) and gets back (…Out).

A PUT sets the fields it sends; fields left out keep their stored value (a new record gets the
defaults). References name the other record by its number or code (`customer_number`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from .common import In

Money = Decimal


class AddressIn(In):
    address_line1: str = ""
    address_line2: str = ""
    postcode: str = ""
    city: str = ""
    country_code: str = Field("NO", description="ISO 3166-1 alpha-2.")


class AddressOut(Schema):
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country_code: str


class ContactPersonIn(In):
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""


class ContactPersonOut(Schema):
    first_name: str
    last_name: str
    email: str
    phone: str


class CustomerIn(AddressIn):
    name: str
    organization_number: str = ""
    email: str = ""
    invoice_email: str = ""
    phone: str = ""
    invoice_delivery_method: Literal["print", "email", "ehf"] = "print"
    discount_percent: Decimal = Decimal("0")
    payment_terms_days: int = 14
    state: Literal["active", "potential", "inactive"] = "active"
    external_ledger_number: int | None = None
    contact_persons: list[ContactPersonIn] | None = Field(
        None,
        description="Matched by e-mail, else by first and last name: matches are updated, "
        "others added. Contact persons not listed are left as they are.",
    )


class CustomerOut(AddressOut):
    number: int
    name: str
    organization_number: str
    email: str
    invoice_email: str
    phone: str
    invoice_delivery_method: str
    discount_percent: Decimal
    payment_terms_days: int
    state: str
    external_ledger_number: int | None
    contact_persons: list[ContactPersonOut]


class ProjectIn(In):
    name: str
    customer_number: int | None = None
    department_code: str | None = None
    state: Literal["active", "planned", "completed", "inactive"] = "active"
    owner_email: str = ""
    expenses_billable: Literal["inherit", "yes", "no"] = "inherit"


class ProjectOut(Schema):
    number: str
    name: str
    customer_number: int | None = Field(None, alias="customer.number")
    department_code: str | None = Field(None, alias="department.code")
    state: str
    owner_email: str
    expenses_billable: str


class DepartmentIn(In):
    name: str
    manager_number: int | None = Field(None, description="Employee number of the manager.")
    active: bool = True


class DepartmentOut(Schema):
    code: str
    name: str
    manager_number: int | None = Field(None, alias="manager.number")
    active: bool


class EmployeeIn(In):
    first_name: str
    last_name: str
    email: str = ""
    department_code: str | None = None
    external_ledger_number: int | None = None
    active: bool = True


class EmployeeOut(Schema):
    number: int
    first_name: str
    last_name: str
    email: str
    department_code: str | None = Field(None, alias="department.code")
    external_ledger_number: int | None
    active: bool


class SupplierIn(AddressIn):
    name: str
    organization_number: str = ""
    email: str = ""
    currency_code: str = Field("NOK", description="ISO 4217.")
    payment_terms_days: int = 14


class SupplierOut(AddressOut):
    number: int
    name: str
    organization_number: str
    email: str
    currency_code: str
    payment_terms_days: int


class ProductIn(In):
    name: str
    description: str = ""
    group_number: int | None = None
    type: Literal["goods", "service"] = "goods"
    unit_code: str | None = None
    cost_price: Money = Decimal("0.00")
    sales_price: Money = Decimal("0.00")
    vat_rate: Decimal = Field(Decimal("25.00"), description="Percentage, e.g. 25.00.")
    active: bool = True


class ProductOut(Schema):
    code: str
    name: str
    description: str
    group_number: int | None = Field(None, alias="group.number")
    type: str
    unit_code: str | None = Field(None, alias="unit.code")
    cost_price: Money
    sales_price: Money
    vat_rate: Decimal
    active: bool


class AccountIn(In):
    name: str
    external_vat_code: str = Field(
        "", description="The account's VAT code in the accounting system (digits)."
    )
    vat_code: str | None = Field(
        None, description="Code of one of the client's VAT codes: the rate used on invoices."
    )
    active: bool = True


class AccountOut(Schema):
    number: int
    name: str
    external_vat_code: str
    vat_code: str | None = Field(None, alias="vat_code.code")
    vat_rate: Decimal | None = Field(None, alias="vat_code.rate")
    active: bool
