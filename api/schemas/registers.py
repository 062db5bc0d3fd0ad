"""Register documents: what a source system sends (…In) and gets back (…Out).

A PUT sets the fields it sends; fields left out keep their stored value (a new record gets the
defaults). References name the other record by its number or code (`customer_number`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from .common import Bool, In, Money, Number, Percent, Text

Email = Annotated[str, Field(max_length=254)]


class AddressIn(In):
    address_line1: str = Text(200, "")
    address_line2: str = Text(200, "")
    postcode: str = Text(20, "")
    city: str = Text(100, "")
    country_code: str = Text(2, "NO", description="ISO 3166-1 alpha-2.")


class AddressOut(Schema):
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country_code: str


class ContactPersonIn(In):
    first_name: str = Text(100)
    last_name: str = Text(100)
    email: Email = ""
    phone: str = Text(40, "")


class ContactPersonOut(Schema):
    first_name: str
    last_name: str
    email: str
    phone: str


class CustomerIn(AddressIn):
    name: str = Text(200)
    organization_number: str = Text(
        30, "", description="Norwegian (country NO): 9 digits with a valid check digit."
    )
    email: Email = ""
    invoice_email: Email = ""
    phone: str = Text(40, "")
    invoice_delivery_method: Literal["print", "email", "ehf"] = "print"
    discount_percent: Percent = Decimal("0")
    payment_terms_days: int = Field(14, ge=0, le=365)
    state: Literal["active", "potential", "inactive"] = "active"
    external_ledger_number: Number | None = None
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
    name: str = Text(200)
    customer_number: Number | None = None
    department_code: str | None = Text(20, None)
    state: Literal["active", "planned", "completed", "inactive"] = "active"
    owner_email: Email = ""
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
    name: str = Text(200)
    manager_number: Number | None = Field(None, description="Employee number of the manager.")
    active: Bool = True


class DepartmentOut(Schema):
    code: str
    name: str
    manager_number: int | None = Field(None, alias="manager.number")
    active: bool


class EmployeeIn(In):
    first_name: str = Text(100)
    last_name: str = Text(100)
    email: Email = ""
    department_code: str | None = Text(20, None)
    external_ledger_number: Number | None = None
    active: Bool = True


class EmployeeOut(Schema):
    number: int
    first_name: str
    last_name: str
    email: str
    department_code: str | None = Field(None, alias="department.code")
    external_ledger_number: int | None
    active: bool


class SupplierIn(AddressIn):
    name: str = Text(200)
    organization_number: str = Text(
        30, "", description="Norwegian (country NO): 9 digits with a valid check digit."
    )
    email: Email = ""
    currency_code: str = Text(3, "NOK", description="ISO 4217.")
    payment_terms_days: int = Field(14, ge=0, le=365)


class SupplierOut(AddressOut):
    number: int
    name: str
    organization_number: str
    email: str
    currency_code: str
    payment_terms_days: int


class ProductIn(In):
    name: str = Text(200)
    description: str = Text(4000, "")
    group_number: Number | None = None
    type: Literal["goods", "service"] = "goods"
    unit_code: str | None = Text(20, None)
    cost_price: Money = Field(Decimal("0.00"), ge=0)
    sales_price: Money = Field(Decimal("0.00"), ge=0)
    vat_rate: Percent = Field(
        Decimal("25.00"), description="Percentage, e.g. 25.00: one of the client's VAT code rates."
    )
    active: Bool = True


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
    name: str = Text(200)
    external_vat_code: str = Text(
        10, "", description="The account's VAT code in the accounting system (digits)."
    )
    vat_code: str | None = Text(
        10, None, description="Code of one of the client's VAT codes: the rate used on invoices."
    )
    usable_for_sales: Bool = Field(
        False, description="true to allow invoice lines on this account outside 3000–3999."
    )
    active: Bool = True


class AccountOut(Schema):
    number: int
    name: str
    external_vat_code: str
    vat_code: str | None = Field(None, alias="vat_code.code")
    vat_rate: Decimal | None = Field(None, alias="vat_code.rate")
    usable_for_sales: bool
    active: bool
