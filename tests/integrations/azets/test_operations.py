"""Operations around the Azets connector: registry, daily schedule, the on-demand import
command, the settings inline on the Connection form, and `make run` starting the sandbox."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_q.models import Schedule

from integrations import registry
from integrations.azets import AzetsConnector
from integrations.azets.services import azets_expense_imports_queue
from integrations.management.commands.run_backoffice import Command as RunBackoffice
from integrations.models import System, Transfer, TransferKind
from integrations.schedules import schedules_sync
from tests.factories.accounting import UserFactory
from tests.factories.azets import AzetsSettingsFactory

pytestmark = pytest.mark.django_db


def test_the_registry_serves_azets():
    assert isinstance(registry.get_connector(System.AZETS), AzetsConnector)


def test_daily_expense_import_is_scheduled():
    schedules_sync()
    schedule = Schedule.objects.get(name="azets.expense_imports")
    assert (schedule.func, schedule.cron) == (
        "integrations.azets.tasks.azets_expense_imports_task", "30 5 * * *")


def test_queue_picks_only_connections_that_import_expenses():
    wanted = AzetsSettingsFactory(import_expenses=True)
    AzetsSettingsFactory(import_expenses=False)
    AzetsSettingsFactory(import_expenses=True, connection__enabled=False)

    transfers = azets_expense_imports_queue()
    again = azets_expense_imports_queue()

    assert [t.connection for t in transfers] == [wanted.connection]
    assert again == transfers  # the pending import is reused, not doubled
    assert transfers[0].kind == TransferKind.EXPENSE_IMPORT


def test_import_command_refuses_a_client_without_expense_import():
    settings = AzetsSettingsFactory(import_expenses=False)
    with pytest.raises(CommandError, match="no enabled Azets connection"):
        call_command("import_azets_expenses", settings.connection.client.organization_number)


def test_import_command_queues_for_the_named_client(capsys):
    settings = AzetsSettingsFactory(import_expenses=True)
    client = settings.connection.client

    call_command("import_azets_expenses", client.name, "--since", "2025-01-01")

    transfer = Transfer.objects.get(kind=TransferKind.EXPENSE_IMPORT)
    assert (transfer.connection, transfer.params) == (settings.connection, {"since": "2025-01-01"})
    assert f"Expense import {transfer.pk}" in capsys.readouterr().out


def test_run_backoffice_starts_the_azets_sandbox():
    services = RunBackoffice().services(
        {"host": "127.0.0.1", "port": 8000, "poweroffice_port": 8001, "azets_port": 8002,
         "no_sandbox": False})
    [azets] = [s for s in services if s.name == "azets sandbox"]
    assert azets.args[-3:] == ["azets_sandbox", "--port", "8002"]


def test_connection_form_shows_the_azets_settings_inline(client):
    settings = AzetsSettingsFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:integrations_connection_change", args=[settings.connection.pk])
    page = client.get(url).content.decode()
    assert "Source client id" in page and "Billability dimension" in page
    assert "sandbox-password" not in page


def test_demo_load_adds_one_sandbox_connection_and_is_idempotent():
    from integrations.azets.demo import demo_load
    from tests.factories.accounting import ClientFactory

    client = ClientFactory()
    first, second = demo_load(client=client), demo_load(client=client)

    connection = client.connections.get(system=System.AZETS)
    assert (len(first), second) == (1, [])
    assert connection.azets_settings.parent_client_id == "S1001"
    connection.azets_settings.full_clean()


def test_connection_without_azets_settings_fails_saying_so():
    from integrations.engine import transfer_process
    from integrations.models import TransferStatus
    from integrations.outbox import transfer_enqueue
    from tests.factories import CustomerFactory
    from tests.factories.integrations import ConnectionFactory

    connection = ConnectionFactory(system=System.AZETS,
                                   secrets={"username": "kari", "password": "pw-1"})
    customer = CustomerFactory(client=connection.client)
    [transfer] = transfer_enqueue(obj=customer, kind=TransferKind.CUSTOMER, connection=connection)

    transfer_process(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.FAILED
    assert "has no Azets settings" in transfer.last_error
