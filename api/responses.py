"""Helpers that turn schemas into responses and pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Schema


def respond(data: Schema, *, status: int = 200) -> HttpResponse:
    """A JSON response from a schema instance (write views return these, see api_write)."""
    return HttpResponse(data.model_dump_json(), status=status, content_type="application/json")


def page(queryset: QuerySet, params) -> dict:
    """One page of `queryset`, newest ordering kept, as {count, page, page_size, items}."""
    count = queryset.count()
    start = (params.page - 1) * params.page_size
    items = queryset[start : start + params.page_size]
    return {
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "items": list(items),
    }
