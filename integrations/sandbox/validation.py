"""Contract checking shared by every connector: JSON Schema (Draft 2020-12) helpers, the
violation errors, and path templates turned into patterns. Used by each connector's contract
module, its tests and its sandbox."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator


def compile_schema(
    schema: dict[str, Any], defs: dict[str, Any] | None = None
) -> Draft202012Validator:
    """A validator for `schema`, with `defs` reachable as `#/$defs/<Name>`; formats are checked."""
    full = {"$defs": defs or {}, **schema}
    return Draft202012Validator(full, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    """Readable errors, each prefixed with the JSON path of the offending value."""
    messages = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        location = "/".join(str(part) for part in error.absolute_path) or "(body)"
        messages.append(f"{location}: {error.message}")
    return messages


class ContractViolation(AssertionError):
    """A request does not match the contract; `errors` lists every problem found."""

    def __init__(self, operation: str, errors: list[str]) -> None:
        self.operation = operation
        self.errors = errors
        super().__init__(f"{operation}: " + "; ".join(errors))


class UnknownOperation(ContractViolation):
    """No operation of the contract has this method and path."""


@functools.cache
def load_contract_file(path: Path) -> dict[str, Any]:
    """A contract JSON file, read once per process."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def path_template_pattern(template: str, *, flags: int = 0) -> tuple[re.Pattern[str], list[str]]:
    """A pattern matching concrete paths of `template` ("/Customers/{id}") and the names of its
    parameters, captured in order; a trailing slash is optional."""
    names = re.findall(r"{(\w+)}", template)
    pieces = re.split(r"{\w+}", template)
    pattern = "([^/]+)".join(re.escape(piece) for piece in pieces).rstrip("/")
    return re.compile(f"^{pattern}/?$", flags), names
