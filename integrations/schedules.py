"""Every recurring job, declared once, applied by `schedules_sync()` (idempotent, by name).

`manage.py integrations_schedules_sync` (run by `run_backoffice` and on deploy) creates or updates
these Django-Q2 schedules and leaves schedules it does not know alone. CRON schedules need the
`croniter` package (a dependency; checked by integrations.checks).

catch_up: Q_CLUSTER["catch_up"] is False, so a cluster that was down does not replay missed
runs. That is deliberate: the sweep looks at the database each time, so one run after a pause
does all the work that the missed ones would have done.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    cron: str
    comment: str
    args: str = ""  # Django-Q2 positional args as Python literals, e.g. "12, 'expense_import'"


# Per-connection schedules (e.g. a client's daily import at its own time): name prefix → dotted
# path of a function returning the ScheduleSpecs wanted now. `schedules_sync()` upserts them and
# deletes rows under the prefix that are no longer wanted (a switched-off import).
CONNECTION_SCHEDULES: dict[str, str] = {
    "poweroffice.import.": "integrations.poweroffice.schedules.import_schedule_specs",
}


SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(
        name="integrations.transfers_sweep",
        func="integrations.tasks.transfers_sweep_task",
        cron="* * * * *",  # https://crontab.guru/#*_*_*_*_* — every minute
        comment="Queue due and retrying transfers, requeue dead runs, send collected e-mails.",
    ),
]


@transaction.atomic
def schedules_sync(*, specs: list[ScheduleSpec] | None = None) -> dict[str, list[str]]:
    """Create or update each declared schedule by name, and the per-connection ones of
    CONNECTION_SCHEDULES (when `specs` is not given). Returns names created/updated/unchanged
    (and deleted)."""
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for spec in SCHEDULES if specs is None else specs:
        report[_schedule_upsert(spec)].append(spec.name)
    if specs is None:
        for prefix in CONNECTION_SCHEDULES:
            for key, names in connection_schedules_sync(prefix=prefix).items():
                report.setdefault(key, []).extend(names)
    return report


@transaction.atomic
def connection_schedules_sync(*, prefix: str) -> dict[str, list[str]]:
    """Upsert the schedules the provider of `prefix` wants; delete the others under `prefix`."""
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    specs = import_string(CONNECTION_SCHEDULES[prefix])()
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    for spec in specs:
        report[_schedule_upsert(spec)].append(spec.name)
    stale = Schedule.objects.filter(name__startswith=prefix).exclude(
        name__in=[spec.name for spec in specs]
    )
    report["deleted"] = sorted(stale.values_list("name", flat=True))
    stale.delete()
    return report


def _schedule_upsert(spec: ScheduleSpec) -> str:
    from django_q.models import Schedule

    wanted = {"func": spec.func, "schedule_type": Schedule.CRON, "cron": spec.cron,
              "repeats": -1}
    if spec.args:
        wanted["args"] = spec.args
    row = Schedule.objects.filter(name=spec.name).first()
    if row is None:
        Schedule.objects.create(name=spec.name, next_run=_next_run(spec), **wanted)
        return "created"
    if any(getattr(row, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(row, key, value)
        row.next_run = _next_run(spec)
        row.save()
        return "updated"
    return "unchanged"


def _next_run(spec: ScheduleSpec):
    """The next time the cron expression fires, in local time (now if croniter is missing)."""
    try:
        from croniter import croniter
    except ImportError:  # integrations.checks reports it
        return timezone.now()
    return croniter(spec.cron, timezone.localtime()).get_next(type(timezone.now()))
