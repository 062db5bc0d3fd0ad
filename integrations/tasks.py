"""Django-Q2 entry points. Thin: each calls one engine function and returns its answer."""

from __future__ import annotations

from . import engine
from .worker import heartbeats_enabled, released_on_stop, transfer_running


def transfer_process_task(transfer_id: int | None = None) -> str | int | None:
    """A cluster worker runs due transfers in fair order (the id only woke it); inline (sync
    mode, commands) the named transfer runs."""
    if heartbeats_enabled() or transfer_id is None:
        with released_on_stop():  # SIGTERM while the lanes run: theirs go back to pending
            return engine.transfers_dispatch()
    with transfer_running(transfer_id):
        return engine.transfer_process(transfer_id)


def transfers_sweep_task() -> dict[str, int]:
    return engine.transfers_sweep()


def reconciliation_nightly_task(connection_id: int) -> int | None:
    from .reconciliation.services import reconciliations_run_nightly

    return reconciliations_run_nightly(connection_id=connection_id)


def reconciliation_requested_task(
    connection_id: int, date_from: str = "", date_to: str = "", started_by: str = ""
) -> int | None:
    from .reconciliation.services import reconciliation_requested

    return reconciliation_requested(
        connection_id=connection_id, date_from=date_from, date_to=date_to, started_by=started_by
    )
