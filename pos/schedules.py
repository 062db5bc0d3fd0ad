"""One Django-Q2 schedule per client with POS enabled, on the client's days at its run time.

Names are `pos.nightly_batch.client_<client id>` (stable, one per client, never reused for
another client). `pos_schedules_sync()` upserts the schedule of every enabled client and removes
the POS schedules of clients that are no longer enabled; rows with other names are left alone.
It runs whenever POS settings are saved (pos_settings_save) and from
`manage.py run_pos_batch --sync-schedules`.

Replays are harmless: the batch is idempotent per (client, business date), and the schedule
passes its intended run time (`intended_at`) so a late run still picks the right business date.
"""

from __future__ import annotations

from accounting.models import Client
from integrations.schedules import schedule_provider, schedules_upsert

from .models import RUN_DAYS, PosSettings
from .selectors import pos_settings_enabled

PREFIX = "pos.nightly_batch.client_"
TASK = "pos.tasks.pos_nightly_batches_run"


def pos_schedule_name(client: Client | int) -> str:
    return f"{PREFIX}{getattr(client, 'pk', client)}"


def pos_schedule_cron(pos_settings: PosSettings) -> str:
    """The client's days and time: "30 2 * * *" every day at 02:30 local time,
    "0 23 * * tue,wed,thu,fri,sat" at 23:00 on those days (https://crontab.guru)."""
    days = [day for day, _label in RUN_DAYS if day in pos_settings.run_days.split(",")]
    weekdays = "*" if len(days) == len(RUN_DAYS) else ",".join(days)
    return f"{pos_settings.run_time.minute} {pos_settings.run_time.hour} * * {weekdays}"


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


@schedule_provider
def pos_schedules_sync(*, client: Client | None = None) -> dict[str, list[str]]:
    """Create, update or delete POS schedules so they match the settings (of one client, or all).
    Returns the schedule names created, updated, deleted and unchanged."""
    wanted = {
        pos_schedule_name(s.client_id): _wanted(s) for s in pos_settings_enabled(client=client)
    }
    return schedules_upsert(
        wanted=wanted,
        prune_prefix=PREFIX,
        prune_only=None if client is None else {pos_schedule_name(client)},
    )
