"""The one error tree every connector raises.

IntegrationError                       remote system said no, or could not be reached
├── TransientError                     the engine retries with backoff
│   ├── Unavailable                    timeout, connection error, 5xx
│   │   └── OutcomeUnknown             a write was sent, but no usable answer came back
│   ├── RateLimited(retry_after)       429, honour Retry-After
│   └── Deferred(delay)                not yet: waits for something (another export, the
│                                      document it credits); uses up no attempt
└── PermanentError                     no retry until someone fixes data and re-queues
    ├── AuthError                      401/403, bad or revoked client key
    ├── ValidationRejected             400 / ProblemDetails, field errors kept
    ├── NotFound
    └── Conflict                       duplicate number / external reference
DataError                              local, before any HTTP; names record and field
ConnectionMisconfigured                settings or connection incomplete; never retried or swallowed

Exception text never carries secrets: `response_excerpt` is redacted before it is stored.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _


class IntegrationError(Exception):
    """A call to an external system failed. `str()` gives everything a reader needs."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        operation: str = "",
        client: str = "",
        status_code: int | None = None,
        response_excerpt: str = "",
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation
        self.client = client
        self.status_code = status_code
        self.response_excerpt = response_excerpt
        self.field_errors = field_errors or {}

    def __str__(self) -> str:
        parts = [self.message]
        context = ", ".join(
            f"{label} {value}"
            for label, value in (
                (_("system"), self.system),
                (_("operation"), self.operation),
                (_("client"), self.client),
                ("HTTP", self.status_code),
            )
            if value
        )
        if context:
            parts.append(f"({context})")
        for field, messages in self.field_errors.items():
            parts.append(f"{field}: {'; '.join(messages)}")
        return " ".join(str(p) for p in parts)


class TransientError(IntegrationError):
    retryable = True


class Unavailable(TransientError):
    pass


class OutcomeUnknown(Unavailable):
    """A write went out, but its answer was lost (connection closed, read timeout), was a 5xx,
    or was a 2xx without a usable body. Whether the system stored it is not known: the record
    must be looked up by what we are master of before it is sent again."""


class RateLimited(TransientError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Deferred(TransientError):
    """Not now, and not a failure: the transfer waits `delay` seconds for something it depends
    on (another worker exporting the same object, the invoice a credit note credits) and tries
    again without using up an attempt. The message says what it waits for."""

    def __init__(self, message: str, *, delay: float = 30.0, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.delay = delay


class PermanentError(IntegrationError):
    pass


class AuthError(PermanentError):
    pass


class ValidationRejected(PermanentError):
    pass


class NotFound(PermanentError):
    pass


class Conflict(PermanentError):
    pass


class DataError(Exception):
    """Local data cannot be sent as it is. The message names the record and the field, e.g.
    "Invoice 10023 line 2: account 3000 has no external VAT code"."""

    retryable = False

    def __init__(self, message: str, *, record: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.record = record
        self.field = field


class ConnectionMisconfigured(ImproperlyConfigured):
    """The connection or settings are incomplete. Deliberately not an IntegrationError."""


class ConnectionIncomplete(ConnectionMisconfigured):
    """The connection itself cannot be used as configured (a key missing, no base URL for its
    mode): nothing about the record is wrong, so its transfer waits for the connection to be
    fixed instead of failing."""
