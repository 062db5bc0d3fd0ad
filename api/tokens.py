"""Issuing, checking and revoking API tokens.

A token reads `lb_<prefix>_<secret>`: the prefix (random, unique, stored in clear) finds the row,
the SHA-256 of the whole token is compared in constant time. The secret has 256 bits of entropy,
so a fast hash is enough (no password stretching needed).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .models import TOKEN_PREFIX, ApiToken

#: last_used_at is written at most this often per token (one UPDATE per minute, not per call).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_prefix() -> str:
    return TOKEN_PREFIX + secrets.token_hex(4)


@transaction.atomic
def api_token_issue(*, token: ApiToken, by: AbstractBaseUser | None) -> str:
    """Save a new token (client and name set) and return its full text, the only time it exists.

    Store nothing but what is returned to the user: the caller shows it once and forgets it.
    """
    prefix = _new_prefix()
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = _new_prefix()
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    token.prefix = prefix
    token.secret_hash = token_hash(plaintext)
    token.created_by = by
    token.full_clean()
    token.save()
    return plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: AbstractBaseUser | None) -> bool:
    """Revoke a token from now on. Returns False when it was already revoked."""
    if token.is_revoked:
        return False
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    return True


def api_token_authenticate(*, plaintext: str) -> ApiToken | None:
    """The active token matching `plaintext` (client active, not revoked), or None."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    head, sep, secret = plaintext[len(TOKEN_PREFIX) :].partition("_")
    if not (sep and head and secret):
        return None
    prefix = TOKEN_PREFIX + head
    token = (
        ApiToken.objects.select_related("client")
        .filter(prefix=prefix, revoked_at__isnull=True, client__active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(plaintext)):
        return None
    _touch(token)
    return token


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
