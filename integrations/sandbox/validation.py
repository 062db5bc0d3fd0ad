"""JSON Schema (Draft 2020-12) helpers shared by the contract checks and the sandboxes."""

from __future__ import annotations

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
