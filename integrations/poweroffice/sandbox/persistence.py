"""What of the PowerOffice Go sandbox survives a restart (see integrations.sandbox.persistence):
the client keys it knows and every client's books, attribute by attribute, so that state added
to `Books` later is kept too when it is plain data. Tokens are not kept: a client whose token
the restarted sandbox no longer knows gets 401 and asks for a new one, as with the real API."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.persistence import attributes_dump, attributes_load, decode, encode

from .app import PowerOfficeSandbox


def dump(app: PowerOfficeSandbox) -> dict[str, Any]:
    return {
        "clients": encode(app.config.clients),
        "books": {
            client_key: {
                **attributes_dump(books, skip=("registers",)),
                "registers": {name: encode(register.rows)
                              for name, register in books.registers.items()},
            }
            for client_key, books in app.books.items()
        },
    }


def load(app: PowerOfficeSandbox, state: dict[str, Any]) -> None:
    app.config.clients = {**app.config.clients, **decode(state.get("clients", {}))}
    app.books = {}
    for client_key, saved in state.get("books", {}).items():
        if client_key not in app.config.clients:
            continue
        books = app.books_for(client_key)  # freshly seeded, then overwritten by what was saved
        counters = {name: value for name, value in vars(books).items()
                    if type(value).__name__ == "count"}
        registers = saved.pop("registers", {})
        attributes_load(books, saved)
        # Registers draw ids from the books' shared counter: point them at the restored one.
        replaced = {id(old): getattr(books, name) for name, old in counters.items()}
        for name, register in books.registers.items():
            register._ids = replaced.get(id(register._ids), register._ids)
            if name in registers:
                register.rows = decode(registers[name])
