"""Shared pieces: strict input base, paging, transfer status."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StrictBool, field_validator

from accounting.models.validation import CONTROL_CHARACTERS

T = TypeVar("T")

#: Bounds of the document's values: every number fits its column, so nothing overflows below.
MAX_INT = 2_147_483_647  # PositiveIntegerField
MAX_BIGINT = 9_223_372_036_854_775_807  # PositiveBigIntegerField
MAX_PAGE = 1_000_000

Number = Annotated[int, Field(ge=1, le=MAX_INT)]
BigNumber = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
PosMoney = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Quantity = Annotated[Decimal, Field(max_digits=12, decimal_places=3)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=6)]
#: true or false only: "yes", 1 or "maybe" are refused, not guessed.
Bool = StrictBool


def Text(max_length: int, default=..., **kwargs):  # noqa: N802 - reads as a type in schemas
    """A string field bounded like its model column."""
    return Field(default, max_length=max_length, **kwargs)


def refuse_control_characters(value):
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValueError(_("Control characters (such as NUL) are not allowed."))
    return value


class In(Schema):
    """Request documents refuse unknown fields, so a misspelt field is reported, not ignored,
    and text with control characters (NUL, escape, ...)."""

    model_config = ConfigDict(extra="forbid")

    _plain_text = field_validator("*", mode="after")(refuse_control_characters)


class QueryIn(Schema):
    """Query parameters: text with control characters is refused."""

    _plain_text = field_validator("*", mode="after")(refuse_control_characters)


class PageQuery(QueryIn):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(50, ge=1, le=settings.API_MAX_PAGE_SIZE, description="Items per page.")


class Page(BaseModel, Generic[T]):
    count: int = Field(description="Items on all pages.")
    page: int
    page_size: int
    items: list[T]


class TransferOut(Schema):
    id: int
    system: str = Field(alias="connection.system", description="poweroffice, azets, ...")
    kind: str
    operation: str
    status: str = Field(description="pending, running, succeeded, failed, skipped, cancelled")
    number: str = Field(alias="object_number", description="Our number of the object, if any.")
    external_id: str = Field(description="The object's id in the external system, on success.")
    reason: str = Field(alias="last_error", description="Why it failed (or will be retried).")
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None


class ExternalLinkOut(Schema):
    system: str = Field(alias="connection.system")
    external_id: str
    synced_at: datetime


class TransferStatusOut(Schema):
    """Where one object stands in each connected system."""

    links: list[ExternalLinkOut] = Field(
        description="The object's current id in each external system it reached."
    )
    transfers: list[TransferOut] = Field(description="Transfers of the object, newest first.")
