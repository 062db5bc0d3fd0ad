"""Django-Q2 entry points. Thin: each calls one engine function and returns its answer."""

from __future__ import annotations

from . import engine
from .worker import transfer_running


def transfer_process_task(transfer_id: int) -> str | None:
    with transfer_running(transfer_id):  # SIGTERM and heartbeat in a cluster worker
        return engine.transfer_process(transfer_id)


def transfers_sweep_task() -> dict[str, int]:
    return engine.transfers_sweep()
