"""Request size limit for the API: bodies over settings.API_MAX_BODY_BYTES get a 413 problem.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) protects the admin's forms; an API body may carry a
base64 PDF, so under /api/ this middleware applies its own limit and reads the body itself.
"""

from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _

from .problems import problem_response

API_PATH_PREFIX = "/api/"


class ApiBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PATH_PREFIX):
            too_big = self._too_big(request)
            if too_big is not None:
                return too_big
        return self.get_response(request)

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
