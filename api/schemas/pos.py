"""POS sale documents: what a till sends for one sale paid "on invoice", and what it reads back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import AwareDatetime

from pos.models import NOTE_MAX_LENGTH, SALE_NUMBER_PATTERN

from .common import In, Number, PosMoney, Quantity, Text, TransferOut


class PosSaleLineIn(In):
    description: str = Text(200, "")
    quantity: Quantity = Field(Decimal("1"), description="Not 0.")
    amount_incl_vat: PosMoney = Field(
        description="The line total including VAT, as on the receipt (negative for returns)."
    )
    vat_rate: int = Field(ge=0, le=100, description="0, 12, 15 or 25 (%).")


class PosSaleIn(In):
    """One sale, recorded once: sending the same sale number again returns the stored sale."""

    number: str = Field(
        max_length=40,
        pattern=f"^{SALE_NUMBER_PATTERN}$",
        description="The receipt number from the till: letters, digits, '.', '_' and '-'.",
    )
    till: str = Text(60, "")
    sold_at: AwareDatetime = Field(
        description="When it was sold, with a UTC offset (never in the future)."
    )
    customer_number: Number = Field(
        description="The forced invoice customer; it must exist in PowerOffice Go."
    )
    note: str = Text(NOTE_MAX_LENGTH, "", description="Printed as a text line on the invoice.")
    gratuity_amount: PosMoney = Field(Decimal("0"), ge=0)
    lines: list[PosSaleLineIn] = Field(max_length=500)


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
