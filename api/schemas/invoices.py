"""Invoice and credit note documents. Amounts are decimals (sent back as strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from .common import BigNumber, Bool, In, Money, Number, Percent, Quantity, Rate, Text


class PdfIn(In):
    filename: str = Text(100, "invoice.pdf")
    content_base64: str = Field(description="The PDF file, base64-encoded.")


class InvoiceLineIn(In):
    line_no: int | None = Field(
        None, ge=1, le=32767, description="Position; next free if left out."
    )
    description: str = Text(255)
    account_number: Number = Field(
        description="A sales account of the client's account plan (3000–3999, or an account "
        "marked usable for sales)."
    )
    product_code: str | None = Text(50, None)
    quantity: Quantity = Field(Decimal("1"), description="Not 0; negative on credit notes.")
    unit_price: Money
    discount_percent: Percent = Decimal("0")


class InvoiceIn(In):
    """A draft invoice with its lines; finalize it with POST /invoices/{id}/finalize."""

    number: BigNumber | None = Field(
        None, description="Leave out to get the next number of the client when finalized."
    )
    customer_number: Number
    project_number: str | None = Text(50, None)
    department_code: str | None = Text(20, None)
    description: str = Text(255, "")
    invoice_date: date | None = Field(
        None, description="Today if left out; from 2000-01-01 to a year ahead (configurable)."
    )
    due_date: date | None = Field(None, description="From the customer's terms if left out.")
    kid: str = Text(25, "")
    currency_code: str = Text(3, "NOK")
    currency_rate: Rate = Decimal("1")
    your_reference: str = Text(100, "")
    our_reference: str = Text(100, "")
    zero_total_intended: Bool = Field(
        False, description="true to allow finalizing with a total of 0.00."
    )
    lines: list[InvoiceLineIn] = Field(default_factory=list)
    pdf: PdfIn | None = Field(None, description="Your own PDF; one is generated if left out.")


class CreditNoteIn(InvoiceIn):
    """A draft credit note: lines with negative quantities, crediting a finalized invoice."""

    credited_invoice_number: BigNumber


class InvoiceLineOut(Schema):
    line_no: int
    description: str
    account_number: int = Field(alias="account.number")
    product_code: str | None = Field(None, alias="product.code")
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    vat_code: str | None = Field(None, alias="vat_code.code")
    vat_rate: Decimal
    amount_excl_vat: Decimal
    vat_amount: Decimal
    amount_incl_vat: Decimal


class InvoiceOut(Schema):
    id: int = Field(description="The invoice's id in this API (use it in the URLs).")
    number: int | None
    is_credit_note: bool
    credited_invoice_number: int | None = Field(None, alias="credited_invoice.number")
    state: str = Field(description="draft or finalized")
    customer_number: int = Field(alias="customer.number")
    project_number: str | None = Field(None, alias="project.number")
    department_code: str | None = Field(None, alias="department.code")
    description: str
    invoice_date: date
    due_date: date | None
    kid: str
    currency_code: str
    currency_rate: Decimal
    your_reference: str
    our_reference: str
    amount_excl_vat: Decimal
    vat_amount: Decimal
    amount_incl_vat: Decimal
    has_pdf: bool
    payment_status: str
    amount_paid: Decimal
    zero_total_intended: bool
    finalized_at: datetime | None
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(obj):
        # The routers prefetch the lines with account, product and VAT code (one query a page).
        return list(obj.lines.all())

    @staticmethod
    def resolve_has_pdf(obj) -> bool:
        return bool(obj.pdf)

    @staticmethod
    def resolve_amount_excl_vat(obj):
        return obj.totals.amount_excl_vat

    @staticmethod
    def resolve_vat_amount(obj):
        return obj.totals.vat_amount

    @staticmethod
    def resolve_amount_incl_vat(obj):
        return obj.totals.amount_incl_vat
