"""How imports are started: the daily Django-Q2 schedules per connection, the commands and the
admin buttons. (The imports themselves: test_importers.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_q.models import Schedule

from integrations.models import Transfer, TransferKind, TransferStatus
from integrations.poweroffice.models import PowerOfficeSettings
from integrations.poweroffice.schedules import PREFIX, TASK, import_schedules_sync
from integrations.poweroffice.services import poweroffice_import_enqueue
from integrations.poweroffice.tasks import poweroffice_import_scheduled_task
from integrations.schedules import schedules_sync_all
from tests.factories.integrations import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def po_connection():
    connection = ConnectionFactory(client__organization_number="912345678")
    PowerOfficeSettings.objects.create(
        connection=connection,
        expense_import_enabled=True,
        expense_import_time=dt.time(5, 30),
        payment_import_enabled=False,
    )
    return connection


class TestSchedules:
    def test_sync_creates_one_daily_schedule_per_switched_on_import(self, po_connection):
        report = schedules_sync_all()

        name = f"{PREFIX}expense_import.{po_connection.pk}"
        row = Schedule.objects.get(name=name)
        assert name in report["created"]
        assert (row.func, row.cron, row.args) == (
            TASK,
            "30 5 * * *",
            f"{po_connection.pk}, 'expense_import'",
        )
        assert not Schedule.objects.filter(name__contains="payment_import").exists()

    def test_changed_time_moves_it_and_switching_off_removes_it(self, po_connection):
        import_schedules_sync()
        PowerOfficeSettings.objects.update(expense_import_time=dt.time(22, 0))
        assert import_schedules_sync()["updated"] == [f"{PREFIX}expense_import.{po_connection.pk}"]
        assert Schedule.objects.get(name__startswith=PREFIX).cron == "0 22 * * *"

        PowerOfficeSettings.objects.update(expense_import_enabled=False)
        report = import_schedules_sync()

        assert report["deleted"] == [f"{PREFIX}expense_import.{po_connection.pk}"]
        assert not Schedule.objects.filter(name__startswith=PREFIX).exists()

    def test_disabled_connection_has_no_schedule_and_others_are_kept(self, po_connection):
        Schedule.objects.create(
            name="someone.else", func="math.floor", schedule_type=Schedule.DAILY
        )
        po_connection.enabled = False
        po_connection.save()

        schedules_sync_all()

        assert not Schedule.objects.filter(name__startswith=PREFIX).exists()
        assert Schedule.objects.filter(name="someone.else").exists()

    def test_scheduled_task_queues_an_import_only_while_switched_on(self, po_connection):
        transfer_id = poweroffice_import_scheduled_task(po_connection.pk, "expense_import")
        PowerOfficeSettings.objects.update(expense_import_enabled=False)

        assert Transfer.objects.get(pk=transfer_id).kind == TransferKind.EXPENSE_IMPORT
        assert poweroffice_import_scheduled_task(po_connection.pk, "expense_import") is None


class TestEnqueue:
    def test_a_second_request_reuses_the_pending_import(self, po_connection):
        first = poweroffice_import_enqueue(connection=po_connection, kind="expense_import")
        second = poweroffice_import_enqueue(connection=po_connection, kind="expense_import", days=9)

        assert first.pk == second.pk and second.params == {"days": 9}
        assert (first.operation, first.object) == ("import", po_connection)

    def test_days_out_of_range_are_refused(self, po_connection):
        from integrations.errors import DataError

        with pytest.raises(DataError, match="between 1 and 366"):
            poweroffice_import_enqueue(connection=po_connection, kind="expense_import", days=0)


class TestCommands:
    def test_import_expenses_queues_runs_and_reports_the_counts(self, po_connection, capsys):
        call_command("import_expenses", "912345678", "--days", "5")  # no projects: nothing to ask

        transfer = Transfer.objects.get(kind=TransferKind.EXPENSE_IMPORT)
        assert transfer.params == {"days": 5, "full": True}
        assert transfer.status == TransferStatus.SUCCEEDED
        out = capsys.readouterr().out
        assert f"#{transfer.pk} succeeded (fetched: 0, created: 0, skipped: 0, failed: 0)" in out

    def test_queue_only_leaves_the_import_to_the_cluster(self, po_connection, capsys):
        call_command("import_payments", str(po_connection.client.pk), "--queue-only")

        transfer = Transfer.objects.get(kind=TransferKind.PAYMENT_IMPORT)
        assert transfer.status == TransferStatus.PENDING

    def test_unknown_client_or_no_connection_is_an_error(self, po_connection):
        with pytest.raises(CommandError, match="No single client"):
            call_command("import_payments", "000000000")
        po_connection.enabled = False
        po_connection.save()
        with pytest.raises(CommandError, match="no enabled PowerOffice Go connection"):
            call_command("import_payments", "912345678")


class TestAdmin:
    def test_connection_form_shows_the_import_buttons(self, po_connection, admin_client):
        url = reverse("admin:integrations_connection_change", args=[po_connection.pk])

        page = admin_client.get(url).content.decode()

        assert "Import expenses now" in page and "Import payments now" in page

    def test_button_queues_the_import_and_links_the_sync_log(self, po_connection, admin_client):
        settings_row = po_connection.poweroffice_settings
        url = reverse(
            "admin:poweroffice_powerofficesettings_import", args=[settings_row.pk, "payment_import"]
        )

        response = admin_client.post(url, follow=True)

        transfer = Transfer.objects.get(kind=TransferKind.PAYMENT_IMPORT)
        assert f"transfer #{transfer.pk}" in response.content.decode()

    def test_button_needs_post_and_change_permission(
        self, po_connection, client, django_user_model
    ):
        settings_row = po_connection.poweroffice_settings
        url = reverse(
            "admin:poweroffice_powerofficesettings_import", args=[settings_row.pk, "payment_import"]
        )
        user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
        client = Client()
        client.force_login(user)

        assert client.post(url).status_code == 403
        assert not Transfer.objects.exists()

    def test_list_action_queues_expense_imports(self, po_connection, admin_client):
        url = reverse("admin:poweroffice_powerofficesettings_changelist")
        data = {
            "action": "import_expenses_now",
            "_selected_action": [po_connection.poweroffice_settings.pk],
        }

        admin_client.post(url, data)

        assert Transfer.objects.get().params == {"full": True}
