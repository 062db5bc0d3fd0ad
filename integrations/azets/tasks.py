"""Django-Q2 entry points for Azets. Thin: each calls one service."""

from __future__ import annotations

from .services import azets_expense_imports_queue


def azets_expense_imports_task() -> int:
    """The daily expense import of every connection that has it switched on."""
    return len(azets_expense_imports_queue())
