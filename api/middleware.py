"""Guards in front of every /api/ request, and problem details on every answer.

- Bodies over settings.API_MAX_BODY_BYTES get a 413 problem. Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) protects the admin's forms; an API body may carry a base64
  PDF, so under /api/ this middleware applies its own limit and reads the body itself.
- A body that is neither JSON nor multipart (the PDF upload) gets 415: it is never guessed at.
- Control characters (NUL, ...) in the path or query string get 400 naming the parameter.
- Any other error answer below /api/ that is not problem+json yet (Django's 404 and 405, a 500
  page) is replaced by the equivalent problem, keeping headers such as Allow and Retry-After.
"""

from io import BytesIO
from urllib.parse import unquote

from django.conf import settings
from django.utils.translation import gettext as _

from accounting.models.validation import CONTROL_CHARACTERS

from .problems import CONTENT_TYPE, FieldError, problem_response

API_PATH_PREFIX = "/api/"
BODY_METHODS = {"POST", "PUT", "PATCH"}
ACCEPTED_BODY_TYPES = ("application/json", "multipart/form-data")
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        refused = self._too_big(request) or self._bad_type(request) or self._bad_text(request)
        response = refused or self.get_response(request)
        return problem_for(response)

    def _too_big(self, request):
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return problem_response(
                status=413,
                title=_("Request body too large."),
                detail=_("The body may have at most %(limit)s bytes.") % {"limit": limit},
                slug="body-too-large",
            )
        if length and not request.content_type.startswith("multipart/"):
            # Read within our own limit (the stream is capped at CONTENT_LENGTH), so Django's
            # form-size limit does not refuse a large JSON body later.
            request._body = request.read()
            request._stream = BytesIO(request._body)
        return None

    @staticmethod
    def _bad_type(request):
        if request.method not in BODY_METHODS or not int(request.META.get("CONTENT_LENGTH") or 0):
            return None
        content_type = (request.content_type or "").lower()
        if content_type in ACCEPTED_BODY_TYPES or content_type.endswith("+json"):
            return None
        return problem_response(
            status=415,
            title=_("Unsupported media type."),
            detail=_(
                "Send the body as application/json (a PDF upload as multipart/form-data), "
                "not %(type)s."
            )
            % {"type": content_type or _("no Content-Type")},
            slug="unsupported-media-type",
            headers={"Accept-Post": "application/json"},
        )

    @staticmethod
    def _bad_text(request):
        errors = []
        if CONTROL_CHARACTERS.search(request.path_info):
            errors.append(FieldError(_("Control characters are not allowed."), parameter="path"))
        for name, values in request.GET.lists():
            if any(CONTROL_CHARACTERS.search(v) for v in [name, *values]):
                message = _("Control characters are not allowed.")
                errors.append(FieldError(message, parameter=unquote(name)[:40]))
        if not errors:
            return None
        return problem_response(
            status=400,
            title=_("Your request is not valid."),
            detail=_("The URL holds control characters (such as NUL)."),
            slug="validation-error",
            errors=errors,
        )


def problem_for(response):
    """An error answer as problem+json (unchanged if it already is one, or not an error)."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(CONTENT_TYPE):
        return response
    replacement = problem_response(status=response.status_code)
    for name in KEPT_HEADERS:
        if name in response:
            replacement[name] = response[name]
    return replacement
