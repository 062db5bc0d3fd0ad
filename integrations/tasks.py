"""Django-Q2 entry points. Thin: each calls one engine function and returns its answer."""

from __future__ import annotations

from . import engine
from .worker import heartbeats_enabled, transfer_running


def transfer_process_task(transfer_id: int | None = None) -> str | int | None:
    """A cluster worker runs due transfers in fair order (the id only woke it); inline (sync
    mode, commands) the named transfer runs."""
    if heartbeats_enabled() or transfer_id is None:
        return engine.transfers_dispatch()
    with transfer_running(transfer_id):
        return engine.transfer_process(transfer_id)


def transfers_sweep_task() -> dict[str, int]:
    return engine.transfers_sweep()
