"""POS sale documents: what a till sends for one sale paid "on invoice", and what it reads back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from .common import In, TransferOut


class PosSaleLineIn(In):
    description: str = Field("", max_length=200)
    quantity: Decimal = Decimal("1")
    amount_incl_vat: Decimal = Field(
        description="The line total including VAT, as on the receipt (negative for returns)."
    )
    vat_rate: int = Field(description="0, 12, 15 or 25 (%).")


class PosSaleIn(In):
    """One sale, recorded once: sending the same sale number again returns the stored sale."""

    number: str = Field(max_length=40, description="The receipt number from the till.")
    till: str = Field("", max_length=60)
    sold_at: datetime = Field(description="When it was sold (with a UTC offset).")
    customer_number: int = Field(
        description="The forced invoice customer; it must exist in PowerOffice Go."
    )
    note: str = Field("", description="Printed as a text line on the invoice.")
    gratuity_amount: Decimal = Field(Decimal("0"), ge=0)
    lines: list[PosSaleLineIn]


class PosSaleLineOut(Schema):
    line_no: int
    description: str
    quantity: Decimal
    amount_incl_vat: Decimal
    vat_rate: int


class PosSaleOut(Schema):
    number: str
    till: str
    sold_at: datetime
    customer_number: int = Field(alias="customer.number")
    note: str
    gratuity_amount: Decimal
    status: str = Field(description="unsent, sent or failed")
    external_id: str = Field(description="The sales order id in PowerOffice Go, once sent.")
    reason: str = Field(alias="error", description="Why the last send failed.")
    sent_at: datetime | None
    lines: list[PosSaleLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


class PosSaleTransferStatusOut(Schema):
    """Where the sale stands: it travels in its night's POS batch, one sales order per sale."""

    status: str = Field(description="unsent, sent or failed")
    external_id: str = Field(description="The sales order id in PowerOffice Go, once sent.")
    reason: str = Field(description="Why the last send failed.")
    sent_at: datetime | None
    batch_date: date | None = Field(description="Business date of the batch that carried it.")
    transfers: list[TransferOut] = Field(description="Transfers of that batch, newest first.")
