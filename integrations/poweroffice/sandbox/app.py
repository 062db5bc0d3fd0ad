"""The PowerOffice Go v2 sandbox WSGI app: the gateway (keys, tokens, rate limit, privileges),
contract validation of every body, and dispatch to the emulated operations.

Paths as on the real host (case-insensitive): POST /OAuth/Token and /v2/<operation>.
Control API: see integrations.sandbox.app, plus
    POST /_sandbox/config          {"token_ttl": 5, "rate_limit": 10 | null, "lock_date": "...",
                                    "duplicates": "refuse_field" | "refuse_plain" | "accept",
                                    "write_answer": "full" | "empty" | "no_id" | "not_json",
                                    "application_keys": [...], "subscription_keys": [...],
                                    "clients": {"<client key>": {"name": "...",
                                                                 "privileges": [...]}},
                                    "other_environment_client_keys": [...]}
    POST /_sandbox/tokens/expire   every issued token expires now (a 401 mid-batch)
    GET  /_sandbox/books?client_key=…   one client's ledger (vouchers, sales orders, registers)
                                   for comparing with a database after a soak run
    POST /_sandbox/seed/supplier_invoice, /_sandbox/seed/customer_payment   see seeding.py
"""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from integrations.poweroffice import contract
from integrations.ratelimit import SlidingWindowRateLimiter
from integrations.sandbox.app import ARRIVAL, SandboxApp
from integrations.sandbox.problems import Problem, json_response, problem

from . import (
    DEFAULT_APPLICATION_KEY,
    DEFAULT_CLIENT_KEY,
    DEFAULT_CLIENT_NAME,
    DEFAULT_SUBSCRIPTION_KEY,
    OTHER_ENVIRONMENT_CLIENT_KEY,
)
from .behaviour import default_behaviour
from .books import DUPLICATE_BEHAVIOURS, Books
from .handlers import HANDLERS, Call
from .seeding import SEEDS

TOKEN_PATH_RE = re.compile(r"^/oauth/token/?$", re.IGNORECASE)
API_PATH_RE = re.compile(r"^/v2/", re.IGNORECASE)


@dataclass
class SandboxConfig:
    token_ttl: int = 1200
    rate_limit: float | None = 10.0
    lock_date: str | None = None
    application_keys: list[str] = field(default_factory=lambda: [DEFAULT_APPLICATION_KEY])
    subscription_keys: list[str] = field(default_factory=lambda: [DEFAULT_SUBSCRIPTION_KEY])
    clients: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {DEFAULT_CLIENT_KEY: {"name": DEFAULT_CLIENT_NAME}}
    )
    other_environment_client_keys: list[str] = field(
        default_factory=lambda: [OTHER_ENVIRONMENT_CLIENT_KEY]
    )
    # What the public documentation leaves open (see books.py and `answer_written`); the
    # defaults follow settings.POWEROFFICE_SANDBOX_BEHAVIOUR (see behaviour.py):
    duplicates: str = field(default_factory=lambda: default_behaviour("duplicates"))
    write_answer: str = field(default_factory=lambda: default_behaviour("write_answer"))

    def __post_init__(self) -> None:
        if self.duplicates not in DUPLICATE_BEHAVIOURS:
            raise ValueError(f"duplicates must be one of {', '.join(DUPLICATE_BEHAVIOURS)}")
        if self.write_answer not in WRITE_ANSWERS:
            raise ValueError(f"write_answer must be one of {', '.join(WRITE_ANSWERS)}")


# How a successful create (POST) is answered: as documented (`full`), or with an empty body,
# a JSON body without Id, or a body that is not JSON. The write is stored in every case.
WRITE_ANSWERS = ("full", "empty", "no_id", "not_json")


def answer_written(response: Response, how: str) -> Response:
    """The answer to a stored create, reshaped as the `write_answer` switch says."""
    if how == "full" or response.status_code >= 300:
        return response
    if how == "empty":
        return Response(b"", status=response.status_code)
    if how == "not_json":
        return Response(b"OK", status=response.status_code, content_type="text/plain")
    data = response.get_json(silent=True)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k.lower() != "id"}
    return json_response(data, response.status_code)


def gateway_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Errors raised by the API gateway rather than the application: {statusCode, message}."""
    return json_response({"statusCode": status, "message": message}, status, headers)


def oauth_error(error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, 400)


class PowerOfficeSandbox(SandboxApp):
    name = "poweroffice"

    def __init__(self, *, seed: int = 0, config: SandboxConfig | None = None, clock=time.monotonic):
        super().__init__(seed=seed)
        self.clock = clock
        self.config = config or SandboxConfig()
        self.reset()

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.books: dict[str, Books] = {}
            self.tokens: dict[str, tuple[str, str, float]] = {}
            self._limiter = self._new_limiter()

    def _new_limiter(self) -> SlidingWindowRateLimiter | None:
        rate = self.config.rate_limit
        return SlidingWindowRateLimiter(rate, clock=self.clock) if rate else None

    def books_for(self, client_key: str) -> Books:
        with self.lock:
            if client_key not in self.books:
                spec = self.config.clients[client_key]
                books = Books(
                    client_key, spec.get("name", DEFAULT_CLIENT_NAME), spec.get("privileges")
                )
                if self.config.lock_date:
                    books.lock_date = _date(self.config.lock_date)
                self.books[client_key] = books
            return self.books[client_key]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "token_ttl": self.config.token_ttl,
                "rate_limit": self.config.rate_limit,
                "tokens": len(self.tokens),
                "clients": {b.name: b.summary() for b in self.books.values()},
            }

    def control_command(self, name: str, request: Request, data: dict[str, Any]) -> Response:
        if name == "config" and request.method == "POST":
            with self.lock:
                self.config = SandboxConfig(**{**self.config.__dict__, **data})
                self._limiter = self._new_limiter()
            return json_response(self.snapshot())
        if name in SEEDS and request.method == "POST":
            client_key = data.pop("client_key", None) or DEFAULT_CLIENT_KEY
            books = self.books_for(client_key)
            with self.lock:
                return json_response(SEEDS[name](books, data))
        if name == "books" and request.method == "GET":
            client_key = request.args.get("client_key") or DEFAULT_CLIENT_KEY
            if client_key not in self.config.clients:
                return problem(404, "Unknown client key", "No sandbox client has that key.")
            with self.lock:
                return json_response(self.books_for(client_key).ledger_dump())
        if name == "tokens/expire" and request.method == "POST":
            with self.lock:
                self.tokens = {t: (c, s, self.clock() - 1) for t, (c, s, _) in self.tokens.items()}
            return json_response({"expired": len(self.tokens)})
        return super().control_command(name, request, data)

    # -- gateway -------------------------------------------------------------------------------
    def fault_exempt(self, request: Request) -> bool:
        return bool(TOKEN_PATH_RE.match(request.path))

    def dispatch(self, request: Request) -> Response:
        subscription_key = request.headers.get(contract.SUBSCRIPTION_HEADER) or request.args.get(
            "subscription-key", ""
        )
        if subscription_key not in self.config.subscription_keys:
            return gateway_error(
                401,
                "Access denied due to invalid subscription key. Make sure to provide a "
                "valid key for an active subscription.",
            )
        limited = self._rate_limited(subscription_key, at=request.environ.get(ARRIVAL))
        if limited:
            return limited
        if TOKEN_PATH_RE.match(request.path):
            return self.issue_token(request, subscription_key)
        if API_PATH_RE.match(request.path):
            return self.api(request, subscription_key)
        return gateway_error(404, "Resource not found")

    def _rate_limited(self, subscription_key: str, *, at: float | None) -> Response | None:
        limiter = self._limiter
        wait = limiter.reserve(subscription_key, now=at) if limiter else 0.0
        if wait <= 0:
            return None
        seconds = max(1, math.ceil(wait))
        return gateway_error(
            429,
            f"Rate limit is exceeded. Try again in {seconds} seconds.",
            {"Retry-After": str(seconds)},
        )

    def issue_token(self, request: Request, subscription_key: str) -> Response:
        if request.method != "POST":
            return gateway_error(404, "Resource not found")
        problems = contract.token_request_errors(
            request.method, dict(request.headers), request.get_data()
        )
        keys = contract.basic_credentials(request.headers.get("Authorization", ""))
        if problems or keys is None:
            return oauth_error(
                "invalid_request", "; ".join(problems) or "Basic credentials missing."
            )
        application_key, client_key = keys
        if application_key not in self.config.application_keys:
            return oauth_error("invalid_client", "The application key is not valid.")
        if client_key in self.config.other_environment_client_keys:
            return oauth_error(
                "invalid_client", "The client key is not registered in this environment."
            )
        if client_key not in self.config.clients:
            return oauth_error("invalid_client", "The client key is not valid.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            expires_at = self.clock() + self.config.token_ttl
            self.tokens[token] = (client_key, subscription_key, expires_at)
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.config.token_ttl}
        return json_response(body)

    def _client_key(self, request: Request, subscription_key: str) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self.lock:
            entry = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if entry is None or entry[1] != subscription_key or entry[2] <= self.clock():
            return None
        return entry[0]

    def api(self, request: Request, subscription_key: str) -> Response:
        client_key = self._client_key(request, subscription_key)
        if client_key is None:
            return Response(
                status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        try:
            key, params = contract.resolve(request.method, request.path)
        except contract.UnknownOperation:
            return gateway_error(404, "Resource not found")
        books = self.books_for(client_key)
        roles = contract.operation(key).get("auth_roles") or []
        if roles and not set(roles) & set(books.valid_privileges):
            return problem(403, "Forbidden", f"The integration lacks the privilege {roles[-1]}.")
        try:
            _, body = contract.validate_http_request(
                request.method, request.url, request.content_type, request.get_data()
            )
        except contract.ContractViolation as err:
            errors = {"$": err.errors}
            return problem(
                400, "One or more validation errors occurred.", "; ".join(err.errors), errors=errors
            )
        handler = HANDLERS.get(key)
        if handler is None:
            raise_not_emulated(key)
        query = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        with self.lock:
            books.duplicates = self.config.duplicates
            response = handler(books, Call(key, params, query, body, request))
        if request.method == "POST":
            response = answer_written(response, self.config.write_answer)
        return response


def raise_not_emulated(key: str) -> None:
    from integrations.sandbox.problems import NotEmulated

    raise NotEmulated(f"{key} is in the contract but not emulated by this sandbox.")


def _date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise Problem(400, "Bad sandbox config", f"lock_date {value!r} is not a date") from err
