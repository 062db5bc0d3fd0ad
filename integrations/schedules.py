"""Every recurring job, declared once, applied by `schedules_sync()` (idempotent, by name).

`manage.py integrations_schedules_sync` (run by `run_backoffice` and on deploy) creates or updates
these Django-Q2 schedules and leaves schedules it does not know alone. CRON schedules need the
`croniter` package (a dependency; checked by integrations.checks).

catch_up: Q_CLUSTER["catch_up"] is False, so a cluster that was down does not replay missed
runs. That is deliberate: the sweep looks at the database each time, so one run after a pause
does all the work that the missed ones would have done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    cron: str
    comment: str


SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(
        name="integrations.transfers_sweep",
        func="integrations.tasks.transfers_sweep_task",
        cron="* * * * *",  # https://crontab.guru/#*_*_*_*_* — every minute
        comment="Queue due and retrying transfers, requeue dead runs, send collected e-mails.",
    ),
    ScheduleSpec(
        name="api.idempotency_records_purge",
        func="api.tasks.idempotency_records_purge_task",
        cron="17 * * * *",  # https://crontab.guru/#17_*_*_*_* — hourly, at minute 17
        comment="Forget Idempotency-Key responses older than API_IDEMPOTENCY_TTL_HOURS.",
    ),
    ScheduleSpec(
        name="azets.expense_imports",
        func="integrations.azets.tasks.azets_expense_imports_task",
        cron="30 5 * * *",  # https://crontab.guru/#30_5_*_*_* — every day at 05:30
        comment="Queue the daily Azets expense import of every connection that has it on.",
    ),
]


#: Functions that bring an app's per-record schedules in step (e.g. one nightly POS batch per
#: client). Apps register them with @schedule_provider in their own `schedules` module;
#: `schedules_sync_all()` discovers those modules and runs every provider after SCHEDULES.
PROVIDERS: list[Callable[[], dict[str, list[str]]]] = []


def schedule_provider(func: Callable[[], dict[str, list[str]]]):
    if func not in PROVIDERS:
        PROVIDERS.append(func)
    return func


def cron_next_run(cron: str):
    """The next local time a cron expression fires (for a new or changed schedule)."""
    from croniter import croniter

    now = timezone.localtime()
    return croniter(cron, now).get_next(type(now))


@transaction.atomic
def schedules_upsert(
    *, wanted: dict[str, dict[str, Any]], prune_prefix: str = "", prune_only: set[str] | None = None
) -> dict[str, list[str]]:
    """Make the Django-Q2 schedules named in `wanted` carry exactly those values (by name).

    With `prune_prefix`, rows whose name starts with it and that are not wanted are deleted
    (restricted to the names in `prune_only` when given). Rows with other names are left alone.
    A created or changed CRON schedule gets its next run from its cron expression.
    """
    from django_q.models import Schedule

    report: dict[str, list[str]] = {"created": [], "updated": [], "deleted": [], "unchanged": []}
    if prune_prefix:
        stale = Schedule.objects.filter(name__startswith=prune_prefix).exclude(name__in=wanted)
        if prune_only is not None:
            stale = stale.filter(name__in=prune_only)
        for row in stale:
            row.delete()
            report["deleted"].append(row.name)
    for name, values in wanted.items():
        row = Schedule.objects.filter(name=name).first()
        next_run = cron_next_run(values["cron"]) if values.get("cron") else timezone.now()
        if row is None:
            Schedule.objects.create(name=name, next_run=next_run, **values)
            report["created"].append(name)
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.next_run = next_run
            row.save()
            report["updated"].append(name)
        else:
            report["unchanged"].append(name)
    return report


def schedules_sync(*, specs: list[ScheduleSpec] | None = None) -> dict[str, list[str]]:
    """Create or update each declared schedule by name. Returns names created/updated/unchanged."""
    from django_q.models import Schedule

    wanted = {
        spec.name: {
            "func": spec.func,
            "schedule_type": Schedule.CRON,
            "cron": spec.cron,
            "repeats": -1,
        }
        for spec in (SCHEDULES if specs is None else specs)
    }
    return schedules_upsert(wanted=wanted)


def schedules_sync_all() -> dict[str, list[str]]:
    """SCHEDULES plus every app's provider (discovered from `<app>/schedules.py`)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("schedules")
    report = schedules_sync()
    for provider in PROVIDERS:
        for outcome, names in provider().items():
            report.setdefault(outcome, []).extend(names)
    return report
