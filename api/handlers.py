"""Ninja's error answers replaced by problem details (see problems.py)."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounting.models.validation import shown

from .problems import (
    FieldError,
    Problem,
    field_errors,
    pointer,
    problem_response,
    validation_problem,
)

logger = logging.getLogger(__name__)

#: Locations of ninja's parameters that are not the JSON body.
_PARAMETER_SOURCES = {"query", "path", "header", "cookie"}


def _message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not allowed.")
    message = str(error.get("msg", _("This value is not valid."))).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool):
        # The value refused, shortened and with control characters made visible.
        message = _("%(message)s (got '%(value)s')") % {"message": message, "value": shown(value)}
    return message


def _field_error(error: dict) -> FieldError:
    loc = list(error.get("loc", ()))
    source = loc.pop(0) if loc else "body"
    if source in _PARAMETER_SOURCES:
        return FieldError(_message(error), parameter=".".join(str(part) for part in loc))
    if source in ("body", "form", "file") and loc:
        loc.pop(0)  # the view's parameter name ("payload"), not part of the document
    return FieldError(_message(error), pointer=pointer(*loc))


def on_request_validation(request, exc: NinjaValidationError):
    return validation_problem([_field_error(error) for error in exc.errors]).response()


def on_domain_validation(request, exc: DjangoValidationError):
    return validation_problem(field_errors(exc)).response()


def on_problem(request, exc: Problem):
    return exc.response()


def on_authentication(request, exc: AuthenticationError):
    return problem_response(
        status=401,
        title=_("Authentication required."),
        detail=_("Send a valid, unrevoked API token as 'Authorization: Bearer lb_…'."),
        slug="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | json.JSONDecodeError):
        return problem_response(
            status=400,
            title=_("Malformed request body."),
            detail=_("The body is not valid JSON: %(error)s") % {"error": exc.__cause__},
            slug="malformed-body",
        )
    return problem_response(status=exc.status_code, detail=str(exc))


def on_not_found(request, exc: Http404):
    return problem_response(
        status=404,
        title=_("Not found."),
        detail=_("There is no such object for your client."),
        slug="not-found",
    )


def on_unexpected(request, exc: Exception):
    logger.exception("Unhandled error in API request %s %s", request.method, request.path)
    return problem_response(
        status=500,
        title=_("Internal error."),
        detail=_("The error was logged; nothing was saved. Try again later."),
    )


def handlers_install(api: NinjaAPI) -> None:
    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(NinjaValidationError, on_request_validation)
    api.add_exception_handler(DjangoValidationError, on_domain_validation)
    api.add_exception_handler(Problem, on_problem)


def not_found_view(request, *args, **kwargs):
    """Any other path under /api/: a 404 problem instead of Django's HTML page."""
    return on_not_found(request, Http404())
