"""PowerOffice Go v2 HTTP client: the only code that talks to PowerOffice.

`PowerOfficeClient` is an `ApiSession` (timeouts, User-Agent, redacted logs, connection reuse)
that adds authentication (see `auth.py`), the shared request-rate budget, safe retries, paging,
JSON Patch and one typed method per remote operation (see `resources.py`). Methods return parsed
data, never a `Response`; every failure is an `integrations.errors` exception.

Retries inside the client, bounded by `max_attempts`:
- a 401 renews the token once and repeats the call (nothing was processed);
- GET and PUT (idempotent) are repeated after timeouts, connection errors, 5xx and 429;
- POST and PATCH are never repeated after they may have been processed: a lost answer, a 5xx or
  a 2xx without a usable body is `OutcomeUnknown`, and the exporter looks the record up before
  anything is sent again. Nothing here depends on PowerOffice refusing a duplicate reference,
  nor on the words of a refusal: a refusal is a typed error like any other;
- a 429 (the gateway's throttle, before anything is processed) waits at least Retry-After (or
  1 s), for every method. When attempts run out, or the server asks for a longer wait than
  `max_retry_wait`, the typed error goes to the engine, which backs off.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import jsonpatch
import requests
from django.conf import settings
from django.utils.translation import gettext as _

from integrations import errors
from integrations.http import (
    ApiSession,
    excerpt,
    json_or_none,
    parse_retry_after,
    raise_for_response,
)
from integrations.ratelimit import RateLimiter, budget_key, get_rate_limiter

from .auth import SUBSCRIPTION_HEADER, TOKENS, Credentials, TokenCache, cache_key, request_token
from .resources import PowerOfficeResources

JSON = "application/json"
JSON_PATCH = "application/json-patch+json"


def json_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """RFC 6902 operations turning `old` into `new` (both PascalCase Dto dicts)."""
    return jsonpatch.make_patch(_plain(old), _plain(new)).patch


def replace_patch(changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Explicit `replace` operations for top-level properties: {"Name": "x"} -> /Name."""
    return [
        {"op": "replace", "path": f"/{name}", "value": _plain(v)} for name, v in changes.items()
    ]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(data: Any) -> Any:
    """Decimals and dates turned into JSON values, so payloads can be compared and patched."""
    return json.loads(json.dumps(data, default=_default))


def _query(params: Mapping[str, Any] | None) -> dict[str, str]:
    query = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        query[name] = str(value)
    return query


class PowerOfficeClient(PowerOfficeResources, ApiSession):
    system = "poweroffice"
    max_attempts = 4
    retry_backoff = 0.5  # seconds before the second attempt after a 5xx/timeout; doubles after
    max_retry_wait = 30.0  # a longer Retry-After is left to the engine
    page_size = 1000

    def __init__(
        self,
        *,
        application_key: str,
        client_key: str,
        subscription_key: str,
        mode: str = "sandbox",
        client_name: str = "",
        rate_limiter: RateLimiter | None = None,
        token_cache: TokenCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(role="poweroffice", timeout=timeout)
        self.credentials = Credentials(application_key, client_key, subscription_key, mode)
        self.credentials.check()
        base = (settings.POWEROFFICE_BASE_URLS.get(mode) or "").rstrip("/")
        if not base:
            raise errors.ConnectionMisconfigured(
                _("POWEROFFICE_BASE_URLS has no URL for mode %s.") % mode
            )
        self.mode = mode
        self.api_url = f"{base}/v2"
        self.token_url = f"{base}/OAuth/Token"
        self.client_name = client_name
        self.rate_limiter = rate_limiter or get_rate_limiter(
            "poweroffice", settings.POWEROFFICE_RATE_LIMIT
        )
        self.tokens = token_cache or TOKENS
        self.sleep = sleep
        self._budget = budget_key("poweroffice", subscription_key)
        self._token_key = cache_key(self.token_url, self.credentials)
        self._token_value = ""
        self.headers[SUBSCRIPTION_HEADER] = subscription_key
        self.headers["Accept"] = JSON

    @classmethod
    def from_settings(cls, *, client_key: str, mode: str, **kwargs: Any) -> PowerOfficeClient:
        """A client with the application and subscription keys from settings. In sandbox mode
        with no keys configured, the local sandbox's own keys are used."""
        application_key = settings.POWEROFFICE_APPLICATION_KEY
        subscription_key = settings.POWEROFFICE_SUBSCRIPTION_KEY
        if mode == "sandbox" and not (application_key or subscription_key):
            from . import sandbox

            application_key = sandbox.DEFAULT_APPLICATION_KEY
            subscription_key = sandbox.DEFAULT_SUBSCRIPTION_KEY
        return cls(
            application_key=application_key,
            subscription_key=subscription_key,
            client_key=client_key,
            mode=mode,
            **kwargs,
        )

    @classmethod
    def for_connection(cls, connection, **kwargs: Any) -> PowerOfficeClient:
        """The client for a Connection: its mode, its encrypted client key, its client's name."""
        client_key = str((connection.secrets or {}).get("client_key") or "")
        return cls.from_settings(
            client_key=client_key,
            mode=connection.mode,
            client_name=kwargs.pop("client_name", None) or connection.client.name,
            **kwargs,
        )

    def secrets(self) -> tuple[str, ...]:
        c = self.credentials
        return (c.application_key, c.client_key, c.subscription_key, self._token_value)

    # -- authentication ------------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, float]:
        return request_token(
            self, self.token_url, self.credentials, client=self.client_name,
            before_send=self._wait_for_budget,
        )  # fmt: skip

    def _wait_for_budget(self) -> None:
        """The rate limiter's wait, run as a request's bytes leave (`ApiSession.request`)."""
        self.rate_limiter.acquire(self._budget)

    def _token(self) -> str:
        self._token_value = self.tokens.get(self._token_key, self._fetch_token)
        return self._token_value

    def authenticate(self) -> None:
        """Get (or reuse) an access token; raises AuthError when the keys are refused."""
        self._token()

    # -- one call, with the retry policy ---------------------------------------------------------

    @staticmethod
    def retry_safe(method: str) -> bool:
        """Whether repeating the call after a lost answer or a 5xx cannot store anything twice."""
        return method in ("GET", "HEAD", "PUT")

    def _retry_wait(self, response: requests.Response, attempt: int, safe: bool) -> float | None:
        """Seconds to wait before repeating the call, or None to stop here."""
        if response.status_code < 400 or attempt >= self.max_attempts:
            return None
        if response.status_code == 429:
            wait = max(parse_retry_after(response.headers.get("Retry-After")) or 0.0, 1.0)
            return wait if wait <= self.max_retry_wait else None
        if safe and (response.status_code in (408, 500, 502, 503) or response.status_code >= 504):
            return self.retry_backoff * 2 ** (attempt - 1)
        return None

    def _attempt(self, method: str, url: str, token: str, kwargs: dict[str, Any]):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return self.request(
            method, url, headers=headers, **kwargs,
            before_send=self._wait_for_budget,
        )  # fmt: skip

    def call(self, method: str, path: str, *, body: Any = None, **kwargs: Any) -> requests.Response:
        """Send one API call (path below /v2) and return the successful response."""
        operation = f"{method} {path}"
        safe = self.retry_safe(method)
        if body is not None:
            kind = JSON_PATCH if method == "PATCH" else JSON
            kwargs["data"] = json.dumps(body, default=_default).encode()
            kwargs["headers"] = {"Content-Type": kind, **kwargs.get("headers", {})}
        attempt, renewed = 1, False
        while True:
            token = self._token()
            try:
                response = self._attempt(method, self.api_url + path, token, dict(kwargs))
            except errors.Unavailable as err:
                if not safe or attempt >= self.max_attempts:
                    err.operation, err.client = operation, self.client_name
                    raise
                self.sleep(self.retry_backoff * 2 ** (attempt - 1))
                attempt += 1
                continue
            if response.status_code == 401 and not renewed:
                self.tokens.invalidate(self._token_key, token)
                renewed = True
                continue
            wait = self._retry_wait(response, attempt, safe)
            if wait is None:
                self._raise_for_response(response, operation, body)
                return response
            self.sleep(wait)
            attempt += 1

    def _raise_for_response(self, response: requests.Response, operation: str, body: Any) -> None:
        """Typed errors. A 5xx to a write is `OutcomeUnknown`: the server may have stored it."""
        try:
            raise_for_response(
                response,
                system=self.system,
                operation=operation,
                client=self.client_name,
                secrets=self.secrets(),
            )
        except errors.Unavailable as err:
            method = operation.split(" ", 1)[0]
            if self.retry_safe(method) or isinstance(err, errors.OutcomeUnknown):
                raise
            raise errors.OutcomeUnknown(
                _("%(message)s; the request was sent, so whether it was stored will be checked "
                  "before it is sent again") % {"message": err.message},
                system=err.system, operation=err.operation, client=err.client,
                status_code=err.status_code, response_excerpt=err.response_excerpt,
            ) from err

    # -- shapes of calls used by resources.py ------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return json_or_none(self.call("GET", path, params=_query(params)))

    def _list(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list endpoint, page by page (stops on a short page or a 204)."""
        size = page_size or self.page_size
        query, page = _query(params), 1
        while True:
            paged = {**query, "PageNumber": str(page), "PageSize": str(size)}
            rows = json_or_none(self.call("GET", path, params=paged)) or []
            yield from rows
            if len(rows) < size:
                return
            page += 1

    def _post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; its Dto as answered. A success without a usable body (empty, not
        JSON, or without the new record's Id) leaves the outcome unknown: it was probably
        stored, and only a look-up can say so."""
        operation = f"POST {path}"
        response = self.call("POST", path, body=_plain(payload))
        try:
            data = json_or_none(response)
        except errors.Unavailable:
            data = None
        if not isinstance(data, dict) or data.get("Id") in (None, ""):
            raise errors.OutcomeUnknown(
                _("PowerOffice Go answered HTTP %(status)s without the new record's Id; "
                  "whether it was stored will be checked before it is sent again")
                % {"status": response.status_code},
                system=self.system, operation=operation, client=self.client_name,
                status_code=response.status_code,
                response_excerpt=excerpt(response.text, self.secrets()),
            )  # fmt: skip
        return data

    def _post_action(self, path: str, payload: Mapping[str, Any]) -> Any:
        """A POST that asks for an action (no record created): its body, if any."""
        response = self.call("POST", path, body=_plain(payload))
        try:
            return json_or_none(response)
        except errors.Unavailable:
            return None

    def _patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        return json_or_none(self.call("PATCH", path, body=_plain(operations)))

    def _put_file(
        self, path: str, params: Mapping[str, Any], filename: str, content: bytes
    ) -> None:
        files = {"file": (filename, content, "application/pdf")}
        self.call("PUT", path, params=_query(params), files=files)

    def _get_bytes(self, path: str, params: Mapping[str, Any]) -> bytes:
        response = self.call("GET", path, params=_query(params))
        return b"" if response.status_code == 204 else response.content
