"""The proposed Azets contract (`azets-v1.json`, see CONTRACT.md): load it and check requests.

The client's tests check every request body they send against it, and the sandbox checks every
body it receives. When Azets hands over its real specification, this file's JSON and the client
change; mapping tests then show what else must follow.

    operation_for("PUT", "/v1/parents/S1/clients/42/vouchers/10023")
    -> ("PUT /vouchers/{voucherNo}", {"parentClientId": "S1", "sourceClientId": "42",
                                      "voucherNo": "10023"})
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator

from integrations.sandbox.validation import (
    ContractViolation,
    UnknownOperation,
    compile_schema,
    load_contract_file,
    path_template_pattern,
    schema_errors,
)

__all__ = ["ContractViolation", "UnknownOperation", "load_contract", "validate_request"]

CONTRACT_PATH = Path(__file__).with_name("azets-v1.json")
SCOPE_RE = re.compile(r"^/v1/parents/(?P<parentClientId>[^/]+)/clients/(?P<sourceClientId>[^/]+)")


def load_contract() -> dict[str, Any]:
    return load_contract_file(CONTRACT_PATH)


def version() -> str:
    return load_contract()["version"]


@functools.cache
def _routes() -> list[tuple[str, re.Pattern[str], str, list[str]]]:
    routes = []
    for key, op in load_contract()["operations"].items():
        pattern, names = path_template_pattern(op["path"])
        routes.append((op["method"], pattern, key, names))
    return routes


def operation_for(method: str, path_or_url: str) -> tuple[str, dict[str, str]]:
    """The operation key and the path parameters (scope included) of a request."""
    path = unquote(urlsplit(path_or_url).path)
    scope = SCOPE_RE.match(path)
    if scope is None:
        raise UnknownOperation(f"{method} {path}", ["the path is outside the contract's scope"])
    rest = path[scope.end() :] or "/"
    for route_method, pattern, key, names in _routes():
        match = pattern.match(rest)
        if route_method == method.upper() and match:
            return key, {**scope.groupdict(), **dict(zip(names, match.groups(), strict=True))}
    raise UnknownOperation(f"{method} {path}", ["no operation has this method and path"])


@functools.cache
def _validator(schema_json: str) -> Draft202012Validator:
    return compile_schema(json.loads(schema_json), load_contract()["$defs"])


def errors_for(schema: dict[str, Any], instance: Any) -> list[str]:
    return schema_errors(_validator(json.dumps(schema, sort_keys=True)), instance)


def _param_errors(key: str, params: dict[str, str]) -> list[str]:
    contract = load_contract()
    specs = {**contract["path_params"], **contract["operations"][key].get("path_params", {})}
    problems = []
    for name, value in params.items():
        for problem in errors_for(specs[name]["schema"], value):
            problems.append(f"{name} {value!r}: {problem.split(': ', 1)[-1]}")
    return problems


def validate_request(method: str, path_or_url: str, body: Any = None) -> str:
    """Check path parameters and body against the contract; return the operation key or raise
    ContractViolation naming every problem."""
    key, params = operation_for(method, path_or_url)
    problems = _param_errors(key, params)
    request_schema = load_contract()["operations"][key].get("request")
    if request_schema is not None:
        problems += errors_for(request_schema, body)
    elif body not in (None, b"", ""):
        problems.append("this operation takes no body")
    if problems:
        raise ContractViolation(key, problems)
    return key


def validate_response(key: str, status: int, body: Any) -> list[str]:
    """Problems of a reply against the contract's response schema for that status (tests)."""
    schema = load_contract()["operations"][key]["responses"].get(str(status))
    if schema is None:
        return [f"{key} does not answer {status}"]
    return errors_for(schema, body)


def validate_query(key: str, query: dict[str, str]) -> list[str]:
    """Problems of the query parameters of an operation: required, unknown, each schema."""
    specs = load_contract()["operations"][key].get("query_params", {})
    problems = [f"unknown query parameter {name}" for name in query if name not in specs]
    for name, spec in specs.items():
        if name not in query:
            if spec.get("required"):
                problems.append(f"query parameter {name} is required")
            continue
        found = errors_for(spec["schema"], query[name])
        problems += [f"{name}: {p.split(': ', 1)[-1]}" for p in found]
    return problems
