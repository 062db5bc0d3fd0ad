"""The Azets sandbox WSGI app: Basic auth, scope rules (S parent, digits without F), contract
validation of every request, stateful registers, idempotent vouchers and the expense feed.

Control API: see integrations.sandbox.app, plus
    POST /_sandbox/config     {"users": {"name": "password"}, "page_size": 2,
                               "scopes": {"S1001/42": {"name": "...", "ledger": "visma"}}}
    POST /_sandbox/expenses   {"scope": "S1001/42", "items": [...]}   replace the feed
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from integrations.azets import contract
from integrations.sandbox.app import SandboxApp
from integrations.sandbox.problems import Problem, json_response, problem

from . import (
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_NAME,
    DEFAULT_PARENT_CLIENT_ID,
    DEFAULT_PASSWORD,
    DEFAULT_SOURCE_CLIENT_ID,
    DEFAULT_USERNAME,
)
from .ledger import Ledger
from .seeds import ORG_UNITS, REPORTS

DEFAULT_SCOPE = f"{DEFAULT_PARENT_CLIENT_ID}/{DEFAULT_SOURCE_CLIENT_ID}"


@dataclass
class SandboxConfig:
    users: dict[str, str] = field(default_factory=lambda: {DEFAULT_USERNAME: DEFAULT_PASSWORD})
    api_keys: list[str] = field(default_factory=lambda: [DEFAULT_API_KEY])
    scopes: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {DEFAULT_SCOPE: {"name": DEFAULT_CLIENT_NAME, "ledger": "visma"}}
    )
    page_size: int = 50
    reports: list[str] = field(default_factory=lambda: list(REPORTS))


def field_errors(messages: list[str]) -> list[dict[str, str]]:
    """Contract messages "path: text" as ProblemDetails errors [{field, message}]."""
    result = []
    for message in messages:
        path, _, text = message.partition(": ")
        result.append({"field": path if text else "$", "message": text or message})
    return result


class AzetsSandbox(SandboxApp):
    name = "azets"

    def __init__(self, *, seed: int = 0, config: SandboxConfig | None = None) -> None:
        super().__init__(seed=seed)
        self.config = config or SandboxConfig()
        self.reset()

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.ledgers: dict[str, Ledger] = {}

    def ledger(self, scope: str = DEFAULT_SCOPE) -> Ledger:
        with self.lock:
            if scope not in self.ledgers:
                spec = self.config.scopes[scope]
                self.ledgers[scope] = Ledger(
                    spec.get("name", DEFAULT_CLIENT_NAME), spec.get("ledger", "visma"),
                    copy.deepcopy(spec.get("orgUnits", ORG_UNITS)),
                )
            return self.ledgers[scope]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {scope: ledger.summary() for scope, ledger in self.ledgers.items()}

    def control_command(self, name: str, request: Request, data: dict[str, Any]) -> Response:
        if name == "config" and request.method == "POST":
            with self.lock:
                self.config = SandboxConfig(**{**asdict(self.config), **data})
            return json_response(asdict(self.config) | {"users": sorted(self.config.users),
                                                        "api_keys": len(self.config.api_keys)})
        if name == "expenses" and request.method == "POST":
            ledger = self.ledger(data.get("scope", DEFAULT_SCOPE))
            with self.lock:
                ledger.expenses = list(data["items"])
            return json_response({"expenses": len(ledger.expenses)})
        return super().control_command(name, request, data)

    # -- requests ------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if not self._authenticated(request):
            return problem(401, "Unauthorized", "Unknown API key, username or password.",
                           headers={"WWW-Authenticate": 'Basic realm="azets"'})
        try:
            key, params = contract.operation_for(request.method, request.path)
        except contract.UnknownOperation:
            return problem(404, "Not Found", f"No resource at {request.path}.")
        scope = self._scope(params)
        body = self._body(request)
        problems = self._contract_problems(request, key, body)
        if problems:
            return problem(400, "The request does not match the contract.", "; ".join(problems),
                           errors=field_errors(problems))
        with self.lock:
            return self.handle(key, params, body, request, self.ledger(scope))

    def _authenticated(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "apikey":
            return bool(value) and value in self.config.api_keys
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return bool(username) and self.config.users.get(username) == password

    def _scope(self, params: dict[str, str]) -> str:
        parent, source = params["parentClientId"], params["sourceClientId"]
        if source[:1] in ("F", "f"):
            raise Problem(404, "Unknown client", f"Client {source} does not exist: the source "
                          "client id is the company number without the F.")
        scope = f"{parent}/{source}"
        if scope not in self.config.scopes:
            raise Problem(404, "Unknown client", f"No client {source} under parent {parent}.")
        return scope

    def _body(self, request: Request) -> Any:
        raw = request.get_data()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as err:
            raise Problem(400, "Malformed JSON", str(err)) from err

    def _contract_problems(self, request: Request, key: str, body: Any) -> list[str]:
        if isinstance(body, dict) and "attachments" in body:
            return ["attachments: attachments are not accepted"]
        try:
            contract.validate_request(request.method, request.path, body)
        except contract.ContractViolation as err:
            return err.errors
        return contract.validate_query(key, dict(request.args.items()))

    def handle(self, key, params, body, request: Request, ledger: Ledger) -> Response:
        if key == "GET /":
            return json_response(ledger.scope())
        if key == "PUT /customers/{customerNo}":
            return self._stored(*ledger.put_customer(params["customerNo"], body))
        if key == "PUT /projects/{projectNo}":
            return self._stored(*ledger.put_project(params["projectNo"], body))
        if key == "PUT /vouchers/{voucherNo}":
            return self._stored(*ledger.put_voucher(params["voucherNo"], body))
        if key == "GET /expenses":
            return json_response(self._expenses(ledger, request.args))
        raise Problem(501, "Not emulated", f"{key} is not emulated.")

    @staticmethod
    def _stored(external_id: str, created: bool, replayed: bool = False) -> Response:
        body = {"id": external_id, "replayed": replayed}
        return json_response(body, 201 if created else 200)

    def _expenses(self, ledger: Ledger, args) -> dict[str, Any]:
        report = args.get("report")
        if report and report not in self.config.reports:
            raise Problem(422, "Unknown report", f"No report named {report!r}.",
                          errors=[{"field": "report", "message": "unknown report"}])
        projects = [p for p in args.get("projectNos", "").split(",") if p]
        return ledger.expense_page(
            since=args["since"], projects=projects, cursor=args.get("cursor"),
            page_size=self.config.page_size,
        )
