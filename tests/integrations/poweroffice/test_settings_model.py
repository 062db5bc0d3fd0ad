import pytest

from integrations.poweroffice.connector import PowerOfficeConnector
from integrations.poweroffice.models import PowerOfficeSettings, VoucherRoute
from tests.factories.integrations import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_settings_are_created_with_the_documented_defaults_on_first_use():
    connection = ConnectionFactory()

    settings_row = PowerOfficeConnector.settings_for(connection)

    assert settings_row.voucher_route == VoucherRoute.OUTGOING_INVOICE
    assert (settings_row.expense_days_back, settings_row.expense_account_from) == (2, 4000)
    assert not settings_row.expense_import_enabled
    assert PowerOfficeConnector.settings_for(connection).pk == settings_row.pk
    assert PowerOfficeSettings.objects.count() == 1


def test_connection_admin_shows_the_poweroffice_settings(admin_client):
    connection = ConnectionFactory()

    page = admin_client.get(f"/admin/integrations/connection/{connection.pk}/change/")

    assert page.status_code == 200
    assert "manual-journal fallback" in page.content.decode()
