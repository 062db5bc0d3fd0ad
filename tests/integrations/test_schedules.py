import pytest
from django.core.management import call_command
from django_q.models import Schedule

from integrations.schedules import SCHEDULES, schedules_sync

pytestmark = pytest.mark.django_db


def test_sync_creates_the_every_minute_sweep():
    report = schedules_sync()

    sweep = Schedule.objects.get(name="integrations.transfers_sweep")
    assert "integrations.transfers_sweep" in report["created"]
    assert (sweep.func, sweep.schedule_type, sweep.cron) == (
        "integrations.tasks.transfers_sweep_task", Schedule.CRON, "* * * * *"
    )


def test_sync_is_idempotent_and_repairs_drift_but_keeps_unknown_schedules():
    Schedule.objects.create(name="someone.else", func="math.floor", schedule_type=Schedule.DAILY)
    schedules_sync()
    Schedule.objects.filter(name="integrations.transfers_sweep").update(cron="*/5 * * * *")

    report = schedules_sync()
    again = schedules_sync()

    assert report["updated"] == ["integrations.transfers_sweep"]
    assert again["unchanged"] == [spec.name for spec in SCHEDULES]
    assert Schedule.objects.count() == len(SCHEDULES) + 1


def test_every_schedule_points_at_an_importable_task():
    from django.utils.module_loading import import_string

    for spec in SCHEDULES:
        assert callable(import_string(spec.func))


def test_command_reports_what_it_did(capsys):
    call_command("integrations_schedules_sync")
    assert "created: integrations.transfers_sweep" in capsys.readouterr().out
