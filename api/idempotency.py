"""Writes in one transaction, made idempotent by an optional `Idempotency-Key` header.

The first successful (2xx) response to a key is stored with a fingerprint of the request
(method, path, body). The same key with the same request gets that response again, marked with
`Idempotent-Replayed: true`, and nothing is written twice; the same key with another request is
refused with 409. Failed requests are not stored: fix the data and send them again with the same
key. Keys are kept per client for settings.API_IDEMPOTENCY_TTL_HOURS (default 24 h);
`idempotency_records_purge()` deletes older ones (scheduled hourly in integrations/schedules.py).

Two requests with one key racing each other: each claims the key (inserts its record) before
the view writes anything, so the second one's claim waits for the first to commit, fails on the
unique constraint and replays the first response. Claiming first matters: a view that writes a
unique number (PUT /customers/10001) would otherwise fail on that number instead, with a 500.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyRecord
from .problems import Problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class _KeyTaken(Exception):
    """Another request stored this key first; roll back and answer with its response."""


def request_fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/"):
        # Multipart boundaries differ per send: hash the parsed fields and file contents.
        for name, value in sorted(request.POST.lists()):
            digest.update(json.dumps([name, value]).encode())
        for name, upload in sorted(request.FILES.items()):
            digest.update(f"{name}:{upload.name}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
        return digest.hexdigest()
    try:  # same JSON, other whitespace or key order: the same request
        body = json.dumps(json.loads(request.body), sort_keys=True).encode()
    except ValueError:
        body = request.body
    digest.update(body)
    return digest.hexdigest()


def _expiry_cutoff():
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)


def _stored(client, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        client=client, key=key, created_at__gte=_expiry_cutoff()
    ).first()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise Problem(
            status=409,
            title=_("Idempotency key already used."),
            detail=_(
                "This Idempotency-Key was used for another request; use a new key for a new "
                "request."
            ),
            slug="idempotency-key-reused",
        )
    response = HttpResponse(
        record.response_body,
        status=record.response_status,
        content_type=record.response_content_type,
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            status=400,
            title=_("Invalid Idempotency-Key."),
            detail=_("Use 1 to %(max)s printable characters, e.g. a UUID.")
            % {"max": MAX_KEY_LENGTH},
            slug="invalid-idempotency-key",
        )
    return key


def _claim(request, key: str, fingerprint: str) -> IdempotencyRecord:
    """Insert the key's record before the view runs (its response is filled in on success).

    Within the caller's transaction: a racing request with the same key blocks here until this
    one commits (then replays it) or rolls back (then runs itself)."""
    token = request.auth
    IdempotencyRecord.objects.filter(
        client=token.client, key=key, created_at__lt=_expiry_cutoff()
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client=token.client, token=token, key=key, fingerprint=fingerprint,
                response_status=0, response_content_type="",
            )  # fmt: skip
    except IntegrityError as error:
        raise _KeyTaken from error


def _complete(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.response_status = response.status_code
    record.response_body = response.content.decode()
    record.response_content_type = response["Content-Type"]
    record.save(update_fields=["response_status", "response_body", "response_content_type"])


def api_write(view):
    """Run a write view in one transaction; honour an Idempotency-Key header if sent.

    The view must return an HttpResponse (see responses.respond), so it can be stored."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = _key_from(request)
        if key is None:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        fingerprint = request_fingerprint(request)
        record = _stored(request.auth.client, key)
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                record = _claim(request, key, fingerprint)
                response = view(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    _complete(record, response)
                else:
                    record.delete()  # only successes are kept: the key stays free
        except _KeyTaken:
            return _replay(_stored(request.auth.client, key), fingerprint)
        return response

    return wrapper


def idempotency_records_purge(*, now=None) -> int:
    """Delete stored responses older than the key lifetime. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
