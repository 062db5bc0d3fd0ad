"""What of the Azets sandbox survives a restart (see integrations.sandbox.persistence): its users
and scopes, and each scope's ledger (registers, vouchers, expense feed)."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.persistence import attributes_dump, attributes_load, decode, encode

from .app import AzetsSandbox


def dump(app: AzetsSandbox) -> dict[str, Any]:
    return {
        "users": encode(app.config.users),
        "scopes": encode(app.config.scopes),
        "ledgers": {scope: attributes_dump(ledger) for scope, ledger in app.ledgers.items()},
    }


def load(app: AzetsSandbox, state: dict[str, Any]) -> None:
    app.config.users = {**app.config.users, **decode(state.get("users", {}))}
    app.config.scopes = {**app.config.scopes, **decode(state.get("scopes", {}))}
    app.ledgers = {}
    for scope, saved in state.get("ledgers", {}).items():
        if scope in app.config.scopes:
            attributes_load(app.ledger(scope), saved)
