"""Outgoing HTTP for every connector: one configured session and one classification table.

Only connector client modules (`integrations/<system>/client.py`) use this. They subclass
`ApiSession` and turn every non-2xx response into the error tree through `raise_for_response()`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3 import exceptions as urllib3_exceptions

from . import errors

logger = logging.getLogger(__name__)

USER_AGENT = "Ledgerbridge/0.1 (+back office integration)"
EXCERPT_LENGTH = 500

# Values of these keys are replaced before anything is logged or stored.
SECRET_KEYS = (
    "authorization",
    "access_token",
    "refresh_token",
    "client_key",
    "clientkey",
    "password",
    "secret",
    "token",
    "ocp-apim-subscription-key",
    "subscription-key",
    "api_key",
    "apikey",
)
_SECRET_NAMES = "|".join(re.escape(k) for k in SECRET_KEYS)
_SECRET_JSON_RE = re.compile(rf'("(?:{_SECRET_NAMES})"\s*:\s*)"[^"]*"', re.IGNORECASE)
_SECRET_FORM_RE = re.compile(rf"((?:{_SECRET_NAMES})=)[^&\s]+", re.IGNORECASE)
_BEARER_RE = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9\-._~+/=]+", re.IGNORECASE)
MASK = "***"


def redact(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """Mask secret values in a text (JSON, form data or headers) and any known secret string."""
    if not text:
        return ""
    text = _SECRET_JSON_RE.sub(rf'\1"{MASK}"', text)
    text = _SECRET_FORM_RE.sub(rf"\1{MASK}", text)
    text = _BEARER_RE.sub(rf"\1 {MASK}", text)
    for secret in extra_secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def _response_text(response: requests.Response) -> str:
    """The body as text, or a note of its size and type when it is a file (zip, PDF, image)."""
    kind = response.headers.get("Content-Type", "")
    if kind and not any(t in kind for t in ("json", "text", "xml", "html")):
        return f"<{len(response.content)} bytes, {kind}>"
    return response.text


def excerpt(text: str, extra_secrets: Iterable[str] = (), limit: int = EXCERPT_LENGTH) -> str:
    """A short, redacted piece of a body, safe to store on a transfer attempt."""
    text = redact((text or "").replace("\x00", ""), extra_secrets)  # PostgreSQL text: no NUL
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------------------------------------
# The classification table: status code -> error class. Unknown 4xx are permanent, unknown 5xx
# transient. Connectors may pass extra rows (provider error codes) to raise_for_response().
# ---------------------------------------------------------------------------------------------
STATUS_ERRORS: dict[int, type[errors.IntegrationError]] = {
    400: errors.ValidationRejected,
    401: errors.AuthError,
    403: errors.AuthError,
    404: errors.NotFound,
    408: errors.Unavailable,
    409: errors.Conflict,
    422: errors.ValidationRejected,
    429: errors.RateLimited,
    500: errors.Unavailable,
    # Not Implemented: repeating the call cannot help (e.g. an operation a sandbox lacks).
    501: errors.PermanentError,
    502: errors.Unavailable,
    503: errors.Unavailable,
    504: errors.Unavailable,
}


def classify_status(status: int) -> type[errors.IntegrationError]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return errors.Unavailable
    return errors.PermanentError


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        from email.utils import parsedate_to_datetime

        from django.utils import timezone

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - timezone.now()).total_seconds())


def _lower_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k).lower(): v for k, v in data.items()}
    return {}


def problem_details(response: requests.Response) -> tuple[str, dict[str, list[str]]]:
    """Message and field errors from a ProblemDetails body (any key case), a gateway body
    ({statusCode, message}) or a non-JSON page (a proxy's HTML)."""
    try:
        body = response.json()
    except ValueError:
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type:
            text = _("HTTP %(status)s with an HTML page (a proxy or gateway answered)")
        else:
            text = _("HTTP %(status)s with a non-JSON body (a proxy or gateway answered)")
        return text % {"status": response.status_code}, {}
    data = _lower_keys(body)
    if not data:
        return f"HTTP {response.status_code}", {}
    # title/detail: ProblemDetails; message: the gateway; error/error_description: OAuth 2.
    message = (
        " — ".join(
            str(data[key])
            for key in ("title", "detail", "message", "error", "error_description")
            if isinstance(data.get(key), str | int) and data.get(key)
        )
        or f"HTTP {response.status_code}"
    )
    field_errors: dict[str, list[str]] = {}
    raw = data.get("errors")
    if isinstance(raw, dict):
        for field, messages in raw.items():
            field_errors[str(field)] = [
                str(m) for m in (messages if isinstance(messages, list) else [messages])
            ]
    elif isinstance(raw, list):
        for item in raw:
            item = _lower_keys(item)
            field = str(item.get("field") or item.get("propertyname") or "")
            field_errors.setdefault(field, []).append(str(item.get("message") or item))
    return message, field_errors


def raise_for_response(
    response: requests.Response,
    *,
    system: str,
    operation: str,
    client: str = "",
    secrets: Iterable[str] = (),
    extra_rows: dict[int, type[errors.IntegrationError]] | None = None,
) -> None:
    """Raise the typed error for a non-2xx response; return quietly on success."""
    if response.status_code < 400:
        return
    status = response.status_code
    error_class = (extra_rows or {}).get(status) or classify_status(status)
    message, field_errors = problem_details(response)
    kwargs = dict(
        system=system,
        operation=operation,
        client=client,
        status_code=status,
        response_excerpt=excerpt(response.text, secrets),
        field_errors=field_errors,
    )
    if issubclass(error_class, errors.RateLimited):
        raise errors.RateLimited(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    raise error_class(redact(message, secrets), **kwargs)


# --- connection reuse and departures (issue 19) ------------------------------------------------
#: Connections kept open per host in one pool (a worker's threads: POS lanes, heartbeat).
POOL_SIZE = 16
_adapters: dict[tuple[int, str], requests.adapters.HTTPAdapter] = {}
_adapters_lock = threading.Lock()
#: The departure of the request this thread is sending (see `_Departure`).
_sending = threading.local()


class _Departure:
    """What must happen just before a request's first byte leaves (the rate limiter's wait),
    done once. The connection does it as it writes the request (`_DepartingConnection`), with
    its socket already open, so the request leaves on its tick rather than after requests and
    urllib3 have prepared it, picked a connection and, on a busy machine, waited for the
    interpreter: those milliseconds, added after the wait, put requests that the limiter
    spaced a full window apart inside one second of the server's."""

    def __init__(self, before) -> None:
        self.before, self.done = before, False

    def go(self) -> None:
        if not self.done:
            self.done = True
            self.before()


class _DepartingConnection:
    """A urllib3 connection that lets the request being sent depart (`_Departure.go`) right
    before writing its headers, once connected."""

    def endheaders(self, *args, **kwargs):
        departure = getattr(_sending, "departure", None)
        if departure is not None:
            if self.sock is None:
                self.connect()  # the handshake comes before the wait, not after it
            departure.go()
        return super().endheaders(*args, **kwargs)


class _DepartingHTTPConnection(_DepartingConnection, urllib3.connection.HTTPConnection):
    pass


class _DepartingHTTPSConnection(_DepartingConnection, urllib3.connection.HTTPSConnection):
    pass


class _DepartingHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _DepartingHTTPConnection


class _DepartingHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _DepartingHTTPSConnection


_DEPARTING_POOLS = {"http": _DepartingHTTPPool, "https": _DepartingHTTPSPool}


class _DepartingAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose pools (proxied ones too) use departing connections."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _DEPARTING_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _DEPARTING_POOLS
        return manager


def shared_adapter(role: str) -> requests.adapters.HTTPAdapter:
    """The process's connection pool for one role (connector): every session of the process
    reuses its open TCP (and TLS) connections, so a transfer does not start with a handshake.
    Keyed by process id too: a forked worker never shares its parent's sockets."""
    key = (os.getpid(), role)
    with _adapters_lock:
        adapter = _adapters.get(key)
        if adapter is None:
            adapter = _adapters[key] = _DepartingAdapter(
                pool_connections=4, pool_maxsize=POOL_SIZE
            )
        return adapter


class ApiSession(requests.Session):
    """A requests session with a role, default timeouts, a User-Agent and redacted debug logs.

    Network failures become `Unavailable`; nothing here retries (the engine and the connector
    client decide that, per method). Sessions are cheap and per transfer; their connections
    come from the process's pool for the role (`shared_adapter`).
    """

    system = "generic"

    def __init__(self, *, role: str = "", timeout: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.role = role or self.system
        self.timeout = timeout or tuple(settings.INTEGRATIONS_HTTP_TIMEOUT)
        self.headers["User-Agent"] = USER_AGENT
        adapter = shared_adapter(self.role)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        # Redacted summary of the most recent call (see _exchange_summary); None before any call.
        self.last_exchange: dict[str, Any] | None = None
        # The most recent call that was answered with an error (4xx/5xx): the refused request
        # stays known when a look-up follows the refusal.
        self.last_failed_exchange: dict[str, Any] | None = None

    def send(self, request, **kwargs):  # type: ignore[override]
        before, self._before_send = getattr(self, "_before_send", None), None
        if before is None:
            return super().send(request, **kwargs)
        # The connection lets the request depart as it writes it (`_Departure`). An adapter
        # that writes nothing (a test's mock) still counts it, once it has answered.
        departure = _sending.departure = _Departure(before)
        try:
            response = super().send(request, **kwargs)
        finally:
            _sending.departure = None
        departure.go()
        return response

    def close(self) -> None:
        """Close what this session owns; the shared pool stays open for the next session."""
        shared = set(map(id, _adapters.values()))
        for adapter in self.adapters.values():
            if id(adapter) not in shared:
                adapter.close()

    def secrets(self) -> Iterable[str]:
        """Secret strings this session knows, masked wherever they would appear."""
        return ()

    def _exchange_summary(self, method, url, kwargs, response) -> dict[str, Any]:
        """A short, redacted record of the last call; the engine stores it on the attempt."""
        body_text = _body_text(kwargs)
        return {
            "request": excerpt(f"{method} {url} {body_text}".strip(), self.secrets(), limit=300),
            "status": response.status_code,
            "response": excerpt(_response_text(response), self.secrets(), limit=300),
        }

    def request(self, method, url, *args, before_send=None, **kwargs):  # type: ignore[override]
        """As requests' own, plus `before_send`: called once the request is built, just before
        its bytes leave (the rate limiter's wait: the request then leaves on its tick instead
        of a millisecond or two of preparing later)."""
        kwargs.setdefault("timeout", self.timeout)
        self._before_send = before_send
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as err:
            error = _network_error(self.system, method, url, kwargs["timeout"], err)
            # The attempt log shows this call, not the one before it, with what became of it.
            self.last_exchange = self.last_failed_exchange = {
                "request": excerpt(f"{method} {url} {_body_text(kwargs)}".strip(), self.secrets(),
                                   limit=300),
                "status": None,
                "response": error.message,
            }  # fmt: skip
            raise error from err
        finally:
            self._before_send = None
        self.last_exchange = self._exchange_summary(method, url, kwargs, response)
        if response.status_code >= 400:
            self.last_failed_exchange = self.last_exchange
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s -> %s %s",
                self.role,
                method,
                redact(url, self.secrets()),
                response.status_code,
                excerpt(response.text, self.secrets(), limit=200),
            )
        return response


def _never_sent(err: requests.RequestException) -> bool:
    """True when the request cannot have reached the server: the connection was never made
    (refused, name not resolved, connect timeout). Anything else may have been received."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    if not isinstance(err, requests.ConnectionError):
        return False
    pending: list[Any] = [err]
    seen: set[int] = set()
    while pending:
        cause = pending.pop()
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, urllib3_exceptions.NewConnectionError | ConnectionRefusedError):
            return True
        pending += [getattr(cause, "reason", None), cause.__cause__, cause.__context__]
        pending += list(cause.args)
    return False


def _network_error(system, method, url, timeout, err) -> errors.Unavailable:
    """No answer: either the request never left (could not connect) or it was sent and its
    answer was lost. A lost answer to anything but a read is an unknown outcome."""
    operation = f"{method} {url}"
    if _never_sent(err):
        return errors.Unavailable(
            _("%(system)s: could not connect (%(error)s); nothing was sent")
            % {"system": system, "error": type(err).__name__},
            system=system, operation=operation,
        )  # fmt: skip
    if isinstance(err, requests.Timeout):
        what = _("no answer within %(seconds)s seconds") % {"seconds": timeout}
    else:
        what = _("the connection closed before the answer came (%(error)s)") % {
            "error": type(err).__name__}
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return errors.Unavailable(f"{system}: {what}", system=system, operation=operation)
    return errors.OutcomeUnknown(
        _("%(system)s: the request was sent, but %(what)s; whether it was stored will be "
          "checked before it is sent again") % {"system": system, "what": what},
        system=system, operation=operation,
    )  # fmt: skip


def json_or_none(response: requests.Response) -> Any:
    """Parsed JSON of a success response; None for 204 or an empty body."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as err:
        raise errors.Unavailable(
            _("HTTP %(status)s with a body that is not JSON") % {"status": response.status_code},
            status_code=response.status_code,
            response_excerpt=excerpt(response.text),
        ) from err


def _body_text(kwargs: dict[str, Any]) -> str:
    """The request body as a reader wants it in the attempt log: JSON as text (a body the
    client encoded itself arrives as bytes), never Python's b'...' form with escapes."""
    if kwargs.get("json") is not None:
        return dumps(kwargs["json"])
    data = kwargs.get("data")
    if isinstance(data, bytes):
        try:
            return dumps(json.loads(data))
        except ValueError:
            return data.decode("utf-8", "replace")
    return str(data or "")


def dumps(data: Any) -> str:
    """JSON text of a request summary, with Decimals and dates as strings."""
    return json.dumps(data, default=str, ensure_ascii=False)
