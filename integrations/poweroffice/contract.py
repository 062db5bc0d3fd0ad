"""PowerOffice Go v2 contract: load `contract.json` and check requests against it.

`contract.json` is a copy of `../shared/poweroffice-go-v2/contract.json` (a test keeps them
identical). It is used by the tests (every request a test makes must match it) and by the sandbox
(every body it receives is checked the way the real API would). Validators are compiled once.

    validate_request("PATCH", "https://host/v2/Customers/123", [{"op": "replace", ...}])
    -> "PATCH /Customers/{id}"   or raises ContractViolation listing every problem
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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

CONTRACT_PATH = Path(__file__).with_name("contract.json")
SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
TOKEN_PATH_RE = re.compile(r"/oauth/token/?$", re.IGNORECASE)
_API_PREFIX_RE = re.compile(r"^.*?/v2(?=/)", re.IGNORECASE)
_MULTIPART_NAME_RE = re.compile(rb'content-disposition:\s*form-data;\s*name="([^"]+)"', re.I)


def load_contract() -> dict[str, Any]:
    return load_contract_file(CONTRACT_PATH)


def operation(key: str) -> dict[str, Any]:
    """The contract's operation "METHOD /Template"; KeyError when it has none."""
    return load_contract()["operations"][key]


def api_path(path_or_url: str) -> str:
    """ "/Customers/1" from "https://host/Demo/v2/Customers/1?x=1" (or from "/Customers/1")."""
    path = urlsplit(path_or_url).path or "/"
    return _API_PREFIX_RE.sub("", path, count=1)


def is_token_url(url: str) -> bool:
    return bool(TOKEN_PATH_RE.search(urlsplit(url).path))


@functools.cache
def _routes() -> list[tuple[str, re.Pattern[str], str, list[str]]]:
    routes = []
    for key, op in load_contract()["operations"].items():
        pattern, names = path_template_pattern(op["path"], flags=re.IGNORECASE)
        routes.append((op["method"], pattern, key, names))
    # Literal paths win over templated ones (/SalesOrders/sentState before /SalesOrders/{id}).
    routes.sort(key=lambda route: (len(route[3]), -len(route[1].pattern)))
    return routes


def resolve(method: str, path_or_url: str) -> tuple[str, dict[str, str]]:
    """The operation key and path parameters for a concrete URL or a template path."""
    method = method.upper()
    path = api_path(path_or_url)
    if "{" in path and f"{method} {path}" in load_contract()["operations"]:
        return f"{method} {path}", {}
    for route_method, pattern, key, names in _routes():
        match = pattern.match(path)
        if route_method == method and match:
            return key, dict(zip(names, match.groups(), strict=True))
    raise UnknownOperation(f"{method} {path}", ["no such operation in the contract"])


@functools.cache
def request_validator(key: str) -> Draft202012Validator | None:
    request = operation(key).get("request")
    if not request or not request.get("schema"):
        return None
    return compile_schema(request["schema"], load_contract()["$defs"])


@functools.cache
def _param_validator(key: str, where: str, name: str) -> Draft202012Validator:
    return compile_schema(operation(key)[where][name]["schema"], load_contract()["$defs"])


def _coerce(schema: dict[str, Any], value: str) -> Any:
    types = schema.get("type") or []
    types = [types] if isinstance(types, str) else types
    if "integer" in types and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _param_errors(key: str, where: str, values: dict[str, str]) -> list[str]:
    declared = operation(key).get(where) or {}
    by_lower = {name.lower(): name for name in declared}
    errors = []
    for name, value in values.items():
        real = by_lower.get(name.lower())
        if real is None:
            errors.append(f"{where[:-1]} {name!r} is not in the contract")
            continue
        validator = _param_validator(key, where, real)
        coerced = _coerce(declared[real]["schema"], value)
        errors += [
            f"{where[:-1]} {real}={value!r}: {e.removeprefix('(body): ')}"
            for e in schema_errors(validator, coerced)
        ]
    given = {name.lower() for name in values}
    errors += [
        f"required {where[:-1]} {name!r} is missing"
        for name, spec in declared.items()
        if spec.get("required") and name.lower() not in given
    ]
    return errors


def _patch_path_errors(spec: dict[str, Any], index: int, field: str, path: Any) -> list[str]:
    where = f"{index}/{field}"
    if not isinstance(path, str) or not path.startswith("/"):
        return [f"{where}: {path!r} is not a JSON pointer"]
    parts = path[1:].split("/")
    head, nested = parts[0], spec.get("nested_properties", {})
    if head not in spec["properties"]:
        return [f"{where}: {head!r} cannot be patched on this resource"]
    if len(parts) == 1:
        return []
    if head in nested:
        ok = len(parts) == 2 and parts[1] in nested[head]
    else:
        ok = len(parts) == 2 and (parts[1] == "-" or parts[1].isdigit())
    return [] if ok else [f"{where}: {path!r} is not a patchable path"]


def patch_errors(spec: dict[str, Any], body: Any) -> list[str]:
    """JSON Patch operations whose paths are not among the operation's patchable names."""
    if not isinstance(body, list):
        return []  # the schema check already reports it
    errors = []
    for index, op in enumerate(body):
        if not isinstance(op, dict):
            continue
        name = op.get("op")
        if name not in ("add", "remove", "replace", "move", "copy", "test"):
            errors.append(f"{index}/op: {name!r} is not a JSON Patch operation")
        if name in ("add", "replace", "test") and "value" not in op:
            errors.append(f"{index}: {name!r} needs a value")
        errors += _patch_path_errors(spec, index, "path", op.get("path"))
        if name in ("move", "copy"):
            errors += _patch_path_errors(spec, index, "from", op.get("from"))
    return errors


def _body_errors(key: str, body: Any, form_fields: Iterable[str] | None) -> list[str]:
    op = operation(key)
    request = op.get("request")
    if not request:
        return [] if body in (None, b"", "") else ["this operation takes no request body"]
    if request["content_type"] == "multipart/form-data":
        fields = set(form_fields or ())
        expected = set(request.get("form_fields", []))
        return [f"form field {name!r} is missing" for name in sorted(expected - fields)] + [
            f"form field {name!r} is not in the contract" for name in sorted(fields - expected)
        ]
    if body is None:
        return ["a request body is required"]
    errors = schema_errors(request_validator(key), body)
    if isinstance(body, dict):
        errors += [
            f"{name}: read-only, must not be sent"
            for name in request.get("forbidden_properties", [])
            if name in body
        ]
    if "patch" in op:
        errors += patch_errors(op["patch"], body)
    return errors


def validate_request(
    method: str,
    path_template_or_url: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    form_fields: Iterable[str] | None = None,
) -> str:
    """Check path and query parameters and the body; return the operation key."""
    key, path_params = resolve(method, path_template_or_url)
    if query is None:
        query = dict(parse_qsl(urlsplit(path_template_or_url).query, keep_blank_values=True))
    errors = []
    if "{" not in api_path(path_template_or_url):
        errors += _param_errors(key, "path_params", path_params)
    errors += _param_errors(key, "query_params", query)
    errors += _body_errors(key, body, form_fields)
    if errors:
        raise ContractViolation(key, errors)
    return key


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def decode_body(key: str, content_type: str | None, raw: bytes | None) -> tuple[Any, list[str]]:
    """(parsed body, multipart field names) for a raw request body, checking its media type."""
    request = operation(key).get("request")
    if not raw:
        return None, []
    if not request:
        raise ContractViolation(key, ["this operation takes no request body"])
    kind = media_type(content_type)
    if kind not in request["accepted_content_types"]:
        raise ContractViolation(key, [f"Content-Type {kind or '(none)'} is not accepted"])
    if kind == "multipart/form-data":
        return None, [m.decode() for m in _MULTIPART_NAME_RE.findall(raw)]
    try:
        return json.loads(raw), []
    except ValueError as err:
        raise ContractViolation(key, [f"the body is not JSON ({err})"]) from err


def validate_http_request(
    method: str, url: str, content_type: str | None, raw: bytes | str | None
) -> tuple[str, Any]:
    """Check a raw HTTP request (as sent or received); return (operation key, parsed body)."""
    key, _ = resolve(method, url)
    raw = raw.encode() if isinstance(raw, str) else raw
    body, fields = decode_body(key, content_type, raw)
    validate_request(method, url, body, form_fields=fields)
    return key, body


def token_request_errors(
    method: str, headers: dict[str, str], raw: bytes | str | None
) -> list[str]:
    """Problems with a token request, per the contract's `auth.token_request`."""
    spec = load_contract()["auth"]["token_request"]
    lower = {k.lower(): v for k, v in headers.items()}
    raw = raw.decode() if isinstance(raw, bytes) else (raw or "")
    errors = [] if method.upper() == spec["method"] else [f"token request must be {spec['method']}"]
    if media_type(lower.get("content-type")) != spec["content_type"]:
        errors.append(f"token request must be {spec['content_type']}")
    if dict(parse_qsl(raw)) != spec["form"]:
        errors.append(f"token form must be {spec['form']}")
    if not basic_credentials(lower.get("authorization", "")):
        errors.append("token request needs Authorization: Basic base64(application key:client key)")
    if not lower.get(SUBSCRIPTION_HEADER.lower()):
        errors.append(f"token request needs the {SUBSCRIPTION_HEADER} header")
    return errors


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(application key, client key) from a Basic Authorization header; None when unreadable."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@functools.cache
def response_properties(key: str, status: str) -> frozenset[str]:
    """Property names of the success response Dto (items of an array), for shaping answers."""
    schema = (operation(key)["responses"].get(status) or {}).get("schema") or {}
    schema = schema.get("items", schema)
    ref = schema.get("$ref", "")
    target = load_contract()["$defs"].get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return frozenset(target.get("properties", {}))
