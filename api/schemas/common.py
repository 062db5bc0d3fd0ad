"""Shared pieces: strict input base, paging, transfer status."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from django.conf import settings
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class In(Schema):
    """Request documents refuse unknown fields, so a misspelt field is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
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
