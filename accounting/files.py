"""Invoice PDFs and expense attachments: stored under MEDIA_ROOT, never served from there.

MEDIA_ROOT is not published (no /media/ route; do not point a web server at it). A stored
file's URL is /files/<signed name>/: a signature over the file name, so it cannot be guessed,
and the view behind it serves the file only to a signed-in staff user allowed to view the record
that owns it (the invoice, the expense).
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.text import get_valid_filename

SALT = "ledgerbridge.private-file"


class PrivateFileStorage(FileSystemStorage):
    def url(self, name: str) -> str:
        return reverse("private-file", kwargs={"token": signing.dumps(name, salt=SALT)})


def private_storage() -> PrivateFileStorage:
    return PrivateFileStorage()


def unguessable_path(folder: str, client_id: int, filename: str) -> str:
    """folder/<client>/<random>/<name>: the stored path says nothing that can be enumerated."""
    name = get_valid_filename(PurePosixPath(filename).name) or "file"
    return f"{folder}/{client_id}/{secrets.token_urlsafe(16)}/{name}"


def _owners():
    from accounting.models import ExpenseAttachment, Invoice

    return (
        (Invoice, "pdf", "accounting.view_invoice"),
        (ExpenseAttachment, "file", "accounting.view_expense"),
    )


def private_file_view(request, token: str):
    """The file behind a signed URL, for staff allowed to view the record that owns it."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    try:
        name = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise Http404 from error
    for model, field, permission in _owners():
        record = model.objects.filter(**{field: name}).first()
        if record is None:
            continue
        if not user.has_perm(permission):
            raise PermissionDenied
        stored = getattr(record, field)
        return FileResponse(stored.open("rb"), filename=PurePosixPath(name).name)
    raise Http404
