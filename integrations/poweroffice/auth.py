"""PowerOffice Go v2 authentication: OAuth 2 client credentials and a shared token cache.

Token request (contract.json `auth.token_request`): POST <base>/OAuth/Token, form
`grant_type=client_credentials`, `Authorization: Basic base64(application key:client key)` and the
subscription key header. The answer `{access_token, token_type, expires_in}` has no refresh token,
so a new token is requested shortly before the old one expires (and once after a 401).

Tokens are cached per (token URL, application key, client key) for every worker (the configured
cache, encrypted) and in the process, keyed by a hash so the cache never holds a key in clear;
token values are never logged or put in an error.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations import errors, sharedcache
from integrations.fields import decrypt_text, encrypt_text
from integrations.http import ApiSession, json_or_none, raise_for_response

SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
MODES = ("production", "demo", "sandbox")
# Renew this long before expiry: 60 s for real tokens (20 min), a tenth for short test tokens.
RENEW_MARGIN_SECONDS = 60.0
_PRINTABLE_KEY_RE = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class Credentials:
    """The three keys of one PowerOffice Go client and the endpoint mode they belong to."""

    application_key: str = field(repr=False)
    client_key: str = field(repr=False)
    subscription_key: str = field(repr=False)
    mode: str = "sandbox"

    def check(self) -> None:
        """Refuse empty or malformed keys before any HTTP call (message never shows a key)."""
        if self.mode not in MODES:
            raise errors.ConnectionMisconfigured(
                _("PowerOffice mode %(mode)s is unknown; use one of %(modes)s.")
                % {"mode": self.mode, "modes": ", ".join(MODES)}
            )
        for label, value in (
            (_("application key"), self.application_key),
            (_("client key"), self.client_key),
            (_("subscription key"), self.subscription_key),
        ):
            if not value or not value.strip():
                raise errors.ConnectionMisconfigured(_("The PowerOffice %s is empty.") % label)
            if not _PRINTABLE_KEY_RE.match(value):
                raise errors.ConnectionMisconfigured(
                    _("The PowerOffice %s contains spaces or invisible characters.") % label
                )
        try:
            uuid.UUID(self.client_key)
        except ValueError as err:
            raise errors.ConnectionMisconfigured(
                _("The PowerOffice client key is malformed: it must be a GUID as shown in Go.")
            ) from err


@dataclass
class AccessToken:
    value: str = field(repr=False)
    expires_at: float

    def usable(self, now: float) -> bool:
        return now < self.expires_at


class TokenCache:
    """One token per key for every worker of every machine (the configured cache, see
    integrations.sharedcache), kept in the process between uses. Thread-safe: one fetch at a
    time per key in a process, and across processes a short lock in the shared cache, so
    workers starting together share one token request; others wait and reuse its token.

    The shared copy is a Fernet token (FIELD_ENCRYPTION_KEYS), so the cache never holds an
    access token in clear. Times are wall-clock times (shared between machines)."""

    #: Seconds another process waits for a token being fetched before fetching one itself.
    WAIT_FOR_OTHERS = 3.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    @staticmethod
    def _shared_key(key: str) -> str:
        return f"poweroffice:token:{key}"

    def _from_shared(self, key: str) -> AccessToken | None:
        stored = sharedcache.shared_get(self._shared_key(key))
        if not stored:
            return None
        try:
            token = AccessToken(decrypt_text(stored[0]), float(stored[1]))
        except Exception:  # noqa: BLE001 - unreadable (keys rotated): fetch a new one
            return None
        return token if token.usable(self.clock()) else None

    def get(self, key: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """A usable token for `key`, calling `fetch() -> (token, expires_in)` when needed."""
        with self._key_lock(key):
            token = self._tokens.get(key)
            if token and token.usable(self.clock()):
                return token.value
            token = self._from_shared(key)
            if token is None and not sharedcache.shared_add(
                f"{self._shared_key(key)}:fetching", 1, self.WAIT_FOR_OTHERS
            ):
                token = self._wait_for_others(key)
            if token is None:
                value, expires_in = fetch()
                margin = min(RENEW_MARGIN_SECONDS, expires_in / 10)
                token = AccessToken(value, self.clock() + expires_in - margin)
                sharedcache.shared_set(
                    self._shared_key(key), (encrypt_text(value), token.expires_at),
                    token.expires_at - self.clock(),
                )  # fmt: skip
                sharedcache.shared_delete(f"{self._shared_key(key)}:fetching")
            self._tokens[key] = token
            return token.value

    def _wait_for_others(self, key: str) -> AccessToken | None:
        deadline = time.monotonic() + self.WAIT_FOR_OTHERS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            token = self._from_shared(key)
            if token is not None:
                return token
        return None

    def invalidate(self, key: str, value: str) -> None:
        """Drop `value` after a 401, here and in the shared cache, unless another thread has
        already replaced it."""
        with self._lock:
            token = self._tokens.get(key)
            if token and token.value == value:
                del self._tokens[key]
        shared = self._from_shared(key)
        if shared is not None and shared.value == value:
            sharedcache.shared_delete(self._shared_key(key))

    def clear(self) -> None:
        """Forget every token of this process, and its shared copies (tests, benches)."""
        with self._lock:
            keys, self._tokens = list(self._tokens), {}
        for key in keys:
            sharedcache.shared_delete(self._shared_key(key))


TOKENS = TokenCache()


def cache_key(token_url: str, credentials: Credentials) -> str:
    raw = f"{token_url.lower()}\n{credentials.application_key}\n{credentials.client_key}"
    return hashlib.sha256(raw.encode()).hexdigest()


def basic_authorization(credentials: Credentials) -> str:
    pair = f"{credentials.application_key}:{credentials.client_key}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _token_refused(err: errors.IntegrationError, mode: str) -> errors.AuthError:
    return errors.AuthError(
        _(
            "PowerOffice did not accept the application key and client key (%(reason)s). Check "
            "that the client key is right and belongs to the %(mode)s environment: keys from "
            "demo and production cannot be mixed."
        )
        % {"reason": err.message, "mode": mode},
        system=err.system,
        operation=err.operation,
        client=err.client,
        status_code=err.status_code,
        response_excerpt=err.response_excerpt,
    )


def request_token(
    session: ApiSession,
    token_url: str,
    credentials: Credentials,
    *,
    client: str = "",
    before_send: Callable[[], None] | None = None,
) -> tuple[str, float]:
    """(access token, lifetime in seconds) from the token endpoint; typed errors otherwise.
    `before_send` as for `ApiSession.request` (the rate limiter's wait)."""
    response = session.request(
        "POST",
        token_url,
        before_send=before_send,
        data={"grant_type": "client_credentials"},
        headers={
            "Authorization": basic_authorization(credentials),
            SUBSCRIPTION_HEADER: credentials.subscription_key,
        },
    )
    try:
        raise_for_response(
            response,
            system="poweroffice",
            operation="POST /OAuth/Token",
            client=client,
            secrets=session.secrets(),
            extra_rows={400: errors.AuthError},
        )
    except errors.AuthError as err:
        raise _token_refused(err, credentials.mode) from err
    body = json_or_none(response) or {}
    if not body.get("access_token"):
        raise errors.Unavailable(
            _("PowerOffice answered the token request without an access token."),
            system="poweroffice",
            operation="POST /OAuth/Token",
            client=client,
            status_code=response.status_code,
        )
    return body["access_token"], float(body.get("expires_in") or 600)
