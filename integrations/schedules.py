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


SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(
        name="integrations.transfers_sweep",
        func="integrations.tasks.transfers_sweep_task",
        cron="* * * * *",  # https://crontab.guru/#*_*_*_*_* — every minute
        comment="Queue due and retrying transfers, requeue dead runs, send collected e-mails.",
    ),
    ScheduleSpec(
        name="azets.expense_imports",
        func="integrations.azets.tasks.azets_expense_imports_task",
        cron="30 5 * * *",  # https://crontab.guru/#30_5_*_*_* — every day at 05:30
        comment="Queue the daily Azets expense import of every connection that has it on.",
    ),
]


@transaction.atomic
def schedules_sync(*, specs: list[ScheduleSpec] | None = None) -> dict[str, list[str]]:
    """Create or update each declared schedule by name. Returns names created/updated/unchanged."""
    from django_q.models import Schedule

    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for spec in SCHEDULES if specs is None else specs:
        wanted = {"func": spec.func, "schedule_type": Schedule.CRON, "cron": spec.cron,
                  "repeats": -1}
        row = Schedule.objects.filter(name=spec.name).first()
        if row is None:
            Schedule.objects.create(name=spec.name, next_run=timezone.now(), **wanted)
            report["created"].append(spec.name)
        elif any(getattr(row, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            row.save()
            report["updated"].append(spec.name)
        else:
            report["unchanged"].append(spec.name)
    return report
