"""One daily Django-Q2 schedule per enabled PowerOffice connection and switched-on import, at
the time set in its PowerOffice settings. Named `poweroffice.import.<kind>.<connection id>`;
`import_schedules_sync()` (a schedule provider, so `manage.py integrations_schedules_sync` runs it
too) creates, moves and deletes them, and the settings inline re-syncs after every save."""

from __future__ import annotations

from integrations.models import System, TransferKind
from integrations.schedules import (
    ScheduleSpec,
    schedule_provider,
    schedules_upsert,
    specs_wanted,
)

from .models import PowerOfficeSettings

PREFIX = "poweroffice.import."
TASK = "integrations.poweroffice.tasks.poweroffice_import_scheduled_task"
FLAGS = {
    TransferKind.EXPENSE_IMPORT: ("expense_import_enabled", "expense_import_time"),
    TransferKind.PAYMENT_IMPORT: ("payment_import_enabled", "payment_import_time"),
}


def schedule_name(kind: str, connection_id: int) -> str:
    return f"{PREFIX}{kind}.{connection_id}"


def import_schedule_specs() -> list[ScheduleSpec]:
    """The schedules wanted now: enabled connections, imports switched on."""
    rows = PowerOfficeSettings.objects.filter(
        connection__enabled=True, connection__system=System.POWEROFFICE
    ).select_related("connection__client")
    specs = []
    for row in rows.order_by("connection_id"):
        for kind, (flag, time_field) in FLAGS.items():
            if not getattr(row, flag):
                continue
            at = getattr(row, time_field)
            specs.append(
                ScheduleSpec(
                    name=schedule_name(kind, row.connection_id),
                    func=TASK,
                    cron=f"{at.minute} {at.hour} * * *",  # daily at the configured local time
                    comment=f"{TransferKind(kind).label}: {row.connection.client}",
                    args=f"{row.connection_id}, {str(kind)!r}",
                )
            )
    return specs


@schedule_provider
def import_schedules_sync() -> dict[str, list[str]]:
    """Upsert the wanted import schedules; delete those of imports switched off."""
    return schedules_upsert(wanted=specs_wanted(import_schedule_specs()), prune_prefix=PREFIX)


# -- nightly reconciliation (issue 16) ------------------------------------------------------------
RECONCILIATION_PREFIX = "reconciliation.nightly."
RECONCILIATION_TASK = "integrations.tasks.reconciliation_nightly_task"


def reconciliation_schedule_name(connection_id: int) -> str:
    return f"{RECONCILIATION_PREFIX}{connection_id}"


def reconciliation_schedule_specs() -> list[ScheduleSpec]:
    """One nightly run per enabled PowerOffice Go connection, between 02:00 and 02:59 (the minute
    spread by connection, so clients do not all read at once)."""
    from integrations.models import Connection

    rows = Connection.objects.filter(enabled=True, system=System.POWEROFFICE).select_related(
        "client"
    )
    return [
        ScheduleSpec(
            name=reconciliation_schedule_name(connection.pk),
            func=RECONCILIATION_TASK,
            cron=f"{connection.pk % 60} 2 * * *",  # https://crontab.guru — nightly at 02:MM
            comment=f"Reconciliation: {connection.client}",
            args=f"{connection.pk},",
        )
        for connection in rows.order_by("pk")
    ]


@schedule_provider
def reconciliation_schedules_sync() -> dict[str, list[str]]:
    """Upsert the nightly reconciliation schedules; delete those of disabled connections."""
    return schedules_upsert(
        wanted=specs_wanted(reconciliation_schedule_specs()), prune_prefix=RECONCILIATION_PREFIX
    )
