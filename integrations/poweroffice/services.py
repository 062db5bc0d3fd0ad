"""Write paths of the PowerOffice Go connector that admin, commands and tasks call."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.errors import DataError
from integrations.models import Connection, Operation, System, Transfer, TransferKind
from integrations.outbox import transfer_enqueue

IMPORT_KINDS = (TransferKind.EXPENSE_IMPORT, TransferKind.PAYMENT_IMPORT, TransferKind.INITIAL_SYNC)


@transaction.atomic
def poweroffice_import_enqueue(
    *,
    connection: Connection,
    kind: str,
    days: int | None = None,
    full: bool = False,
    what: list[str] | None = None,
) -> Transfer:
    """Queue one expense or payment import, or the initial sync, for a PowerOffice connection (a
    Transfer in the sync log). `days` widens the expense window; `full` ignores the last-run
    watermark; `what` picks the initial sync's registers (default all). A pending import of the
    same kind is reused. DataError when the connection cannot run it."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"{kind} is not a PowerOffice import")
    if connection.system != System.POWEROFFICE or not connection.enabled:
        raise DataError(
            _("%(connection)s is not an enabled PowerOffice Go connection.")
            % {"connection": connection},
            record=str(connection),
            field="enabled",
        )
    if days is not None and not 1 <= int(days) <= 366:
        raise DataError(
            _("%(connection)s: days back must be between 1 and 366, not %(days)s.")
            % {"connection": connection, "days": days},
            record=str(connection),
            field="days",
        )
    params: dict[str, object] = {}
    if what:
        params["what"] = _registers_checked(connection, what)
    if days:
        params["days"] = int(days)
    if full:
        params["full"] = True
    transfers = transfer_enqueue(
        obj=connection, kind=kind, operation=Operation.IMPORT, connection=connection,
        params=params,
    )
    return transfers[0]


def poweroffice_connections_of(*, client) -> list[Connection]:
    """The client's enabled PowerOffice Go connections (normally one)."""
    return list(
        Connection.objects.filter(client=client, system=System.POWEROFFICE, enabled=True)
        .select_related("client")
        .order_by("pk")
    )


def _registers_checked(connection: Connection, what: list[str]) -> list[str]:
    from .initial_sync import REGISTERS

    unknown = sorted(set(what) - set(REGISTERS))
    if unknown:
        raise DataError(
            _("%(connection)s: cannot sync %(unknown)s; choose from %(known)s.")
            % {"connection": connection, "unknown": ", ".join(unknown),
               "known": ", ".join(REGISTERS)},
            record=str(connection),
            field="what",
        )  # fmt: skip
    return [name for name in REGISTERS if name in what]
