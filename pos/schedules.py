"""One Django-Q2 schedule per client with POS enabled, at the client's nightly run time.

Names are `pos.nightly_batch.client_<client id>` (stable, one per client, never reused for
another client). `pos_schedules_sync()` upserts the schedule of every enabled client and removes
the POS schedules of clients that are no longer enabled; rows with other names are left alone.
It runs whenever POS settings are saved (pos_settings_save) and from
`manage.py run_pos_batch --sync-schedules`.

Replays are harmless: the batch is idempotent per (client, business date), and the schedule
passes its intended run time (`intended_at`) so a late run still picks the right business date.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounting.models import Client

from .models import PosSettings
from .selectors import pos_settings_enabled

PREFIX = "pos.nightly_batch.client_"
TASK = "pos.tasks.pos_nightly_batches_run"


def pos_schedule_name(client: Client | int) -> str:
    return f"{PREFIX}{getattr(client, 'pk', client)}"


def pos_schedule_cron(pos_settings: PosSettings) -> str:
    """E.g. "30 2 * * *": https://crontab.guru/#30_2_*_*_* — every day at 02:30 local time."""
    return f"{pos_settings.run_time.minute} {pos_settings.run_time.hour} * * *"


def _wanted(pos_settings: PosSettings) -> dict:
    from django_q.models import Schedule

    return {
        "func": TASK,
        "kwargs": f"client_id={pos_settings.client_id}",
        "schedule_type": Schedule.CRON,
        "cron": pos_schedule_cron(pos_settings),
        "repeats": -1,
        "intended_date_kwarg": "intended_at",
    }


@transaction.atomic
def pos_schedules_sync(*, client: Client | None = None) -> dict[str, list[str]]:
    """Create, update or delete POS schedules so they match the settings (of one client, or all).
    Returns the schedule names created, updated, deleted and unchanged."""
    from django_q.models import Schedule

    report: dict[str, list[str]] = {"created": [], "updated": [], "deleted": [], "unchanged": []}
    enabled = pos_settings_enabled(client=client)
    wanted = {pos_schedule_name(s.client_id): _wanted(s) for s in enabled}
    existing = Schedule.objects.filter(name__startswith=PREFIX)
    if client is not None:
        existing = existing.filter(name=pos_schedule_name(client))
    for row in existing:
        if row.name not in wanted:
            row.delete()
            report["deleted"].append(row.name)
    for name, values in wanted.items():
        row = Schedule.objects.filter(name=name).first()
        if row is None:
            Schedule.objects.create(name=name, next_run=_next_run(values["cron"]), **values)
            report["created"].append(name)
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.next_run = _next_run(values["cron"])
            row.save()
            report["updated"].append(name)
        else:
            report["unchanged"].append(name)
    return report


def _next_run(cron: str):
    from croniter import croniter

    return croniter(cron, timezone.localtime()).get_next(type(timezone.localtime()))
