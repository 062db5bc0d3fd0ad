"""RFC 9457 problem details: every error the API answers is `application/problem+json`.

A problem has `type`, `title`, `status` and `detail`; validation problems add `errors`, one entry
per field with a JSON pointer into the request body (`#/lines/0/account_number`) or the name of
the query/path parameter, and a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "tag:ledgerbridge,2025:problems/"


@dataclass
class FieldError:
    detail: str
    pointer: str | None = None  # into the JSON body: "#/lines/0/account_number"
    parameter: str | None = None  # a query, path or header parameter

    def as_dict(self) -> dict:
        data = {"detail": self.detail}
        if self.pointer is not None:
            data["pointer"] = self.pointer
        if self.parameter is not None:
            data["parameter"] = self.parameter
        return data


@dataclass(eq=False)
class Problem(Exception):
    """Raise anywhere below a view to answer with this problem (nothing is saved: the write's
    transaction rolls back)."""

    status: int
    title: str
    detail: str = ""
    slug: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> HttpResponse:
        return problem_response(
            status=self.status,
            title=self.title,
            detail=self.detail,
            slug=self.slug,
            errors=self.errors,
            headers=self.headers,
        )


def problem_response(
    *,
    status: int,
    title: str | None = None,
    detail: str = "",
    slug: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": str(title or HTTPStatus(status).phrase),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    errors = [error.as_dict() for error in errors]
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) in URI fragment form: pointer("lines", 0, "unit_price")."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped) if parts else "#"


def validation_problem(errors: list[FieldError], detail: str = "") -> Problem:
    return Problem(
        status=422,
        title=_("Your request is not valid."),
        detail=detail or _("See `errors` for each field that must be corrected."),
        slug="validation-error",
        errors=errors,
    )


def field_errors(
    error: ValidationError, *, prefix: tuple = (), rename: dict[str, str] | None = None
) -> list[FieldError]:
    """Django ValidationError (keyed by model field) → field errors with body pointers.

    `rename` maps model field names to API field names ("customer" → "customer_number");
    errors not tied to a field point at `prefix` itself.
    """
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        return [FieldError(str(message), pointer(*prefix)) for message in error.messages]
    result = []
    for name, messages in error.message_dict.items():
        parts = prefix if name == NON_FIELD_ERRORS else (*prefix, rename.get(name, name))
        result.extend(FieldError(str(message), pointer(*parts)) for message in messages)
    return result
