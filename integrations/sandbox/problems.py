"""Answers every sandbox gives the same way: JSON, 204, ProblemDetails (RFC 7807) and 501."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    422: "https://tools.ietf.org/html/rfc4918#section-11.2",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    501: "https://tools.ietf.org/html/rfc7231#section-6.6.2",
}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, default=str, ensure_ascii=False)
    return Response(body, status=status, headers=headers, content_type="application/json")


def no_content() -> Response:
    return Response(status=204)


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    errors: dict[str, list[str]] | list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A ProblemDetails body with the lower-case keys real APIs put on the wire. `errors` is
    either {field: [messages]} or [{"field": ..., "message": ...}], as the contract wants."""
    body: dict[str, Any] = {"type": PROBLEM_TYPES.get(status, "about:blank"), "title": title}
    body["status"] = status
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = json_response(body, status, headers)
    response.content_type = "application/problem+json"
    return response


def not_emulated(method: str, path: str, what: str = "") -> Response:
    """501: the sandbox is honest about what it does not emulate."""
    detail = what or f"{method} {path} is not emulated by this sandbox."
    return problem(501, "Not emulated", detail)


class NotEmulated(Exception):
    """Raised by a handler for a case (a filter, a parameter) the sandbox does not emulate."""


class Problem(Exception):
    """Raised by a handler to answer with a ProblemDetails body."""

    def __init__(self, status: int, title: str, detail: str = "", errors=None) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, errors=self.errors)
