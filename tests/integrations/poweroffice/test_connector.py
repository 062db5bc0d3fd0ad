"""PowerOfficeConnector: registration, client per connection, and the connection test report."""

from __future__ import annotations

import re

import pytest

from integrations import registry
from integrations.connections import connection_test
from integrations.models import Mode, System
from integrations.poweroffice.connector import (
    FLOW_PRIVILEGES,
    ROUTE_PRIVILEGES,
    PowerOfficeConnector,
)
from integrations.poweroffice.models import PowerOfficeSettings, VoucherRoute
from tests.factories.integrations import ConnectionFactory

from .conftest import API, CLIENT_KEY, TOKEN_URL, captured

pytestmark = pytest.mark.django_db

ALL_PRIVILEGES = sorted(
    {p for privileges in FLOW_PRIVILEGES.values() for p in privileges}
    | set(ROUTE_PRIVILEGES.values())
)


@pytest.fixture
def connection(po_settings):
    po_settings.POWEROFFICE_APPLICATION_KEY = "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    po_settings.POWEROFFICE_SUBSCRIPTION_KEY = "sub-0123456789abcdef0123456789abcdef"
    return ConnectionFactory(
        mode=Mode.DEMO, secrets={"client_key": CLIENT_KEY}, client__name="Fjordkraft Catering AS"
    )


def information(valid, invalid=()):
    return {
        **captured("client_integration_information.json"),
        "ValidPrivileges": list(valid),
        "InvalidPrivileges": list(invalid),
    }


def test_connector_is_registered_for_poweroffice():
    assert isinstance(registry.get_connector(System.POWEROFFICE), PowerOfficeConnector)


def test_client_for_a_connection_uses_its_mode_key_and_client_name(connection):
    client = PowerOfficeConnector().client_for(connection)
    assert client.api_url == f"{API}"
    assert client.credentials.client_key == CLIENT_KEY
    assert client.client_name == "Fjordkraft Catering AS"


def test_passing_test_names_the_client_and_every_needed_privilege(connection, http, token):
    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(ALL_PRIVILEGES))
    result = connection_test(connection=connection)
    assert result.ok, result.message
    assert "“Fjordkraft Catering AS” (Demo" in result.message
    assert "OutgoingInvoiceVoucher_Full: present (invoice, credit note)" in result.message
    connection.refresh_from_db()
    assert connection.last_test_ok is True


def test_missing_privilege_fails_the_test_and_names_the_flows(connection, http, token):
    granted = [p for p in ALL_PRIVILEGES if p != "Customer_Full"]
    http.add(
        "GET",
        f"{API}/ClientIntegrationInformation",
        json=information(granted, ["Customer_Full"]),
    )
    result = connection_test(connection=connection)
    assert not result.ok
    assert "Customer_Full: MISSING (customer, " in result.message
    assert "grant the integration these privileges" in result.message


def test_pos_batch_needs_sales_orders_and_reading_products_and_customers(connection, http, token):
    full_only = [p for p in ALL_PRIVILEGES if p not in ("Product", "Customer")]
    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(full_only))
    result = connection_test(connection=connection)
    assert result.ok, result.message  # Product_Full and Customer_Full include reading
    assert re.search(r"SalesOrders_Full: present \([^)]*POS batch", result.message)
    assert re.search(r"Product: present \([^)]*POS batch", result.message)


def test_pos_batch_without_the_sales_order_privilege_fails_the_test(connection, http, token):
    granted = [p for p in ALL_PRIVILEGES if p != "SalesOrders_Full"]
    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(granted))
    result = connection_test(connection=connection)
    assert not result.ok
    assert re.search(r"SalesOrders_Full: MISSING \([^)]*POS batch", result.message)


def test_manual_journal_route_checks_the_manual_voucher_privilege(connection, http, token):
    PowerOfficeSettings.objects.create(
        connection=connection, voucher_route=VoucherRoute.MANUAL_JOURNAL
    )
    granted = [p for p in ALL_PRIVILEGES if p != "OutgoingInvoiceVoucher_Full"]
    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(granted))
    result = connection_test(connection=connection)
    assert result.ok, result.message
    assert "ManualVoucher_Full: present (invoice, credit note)" in result.message
    assert "OutgoingInvoiceVoucher_Full" not in result.message


def test_manual_journal_route_without_its_privilege_fails_the_test(connection, http, token):
    PowerOfficeSettings.objects.create(
        connection=connection, voucher_route=VoucherRoute.MANUAL_JOURNAL
    )
    granted = [p for p in ALL_PRIVILEGES if p != "ManualVoucher_Full"]
    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(granted))
    result = connection_test(connection=connection)
    assert not result.ok
    assert "ManualVoucher_Full: MISSING (invoice, credit note)" in result.message


def test_refused_client_key_reports_the_reason_without_the_key(connection, http):
    http.add("POST", TOKEN_URL, status=400, json=captured("token_invalid_client.json"))
    result = connection_test(connection=connection)
    assert not result.ok
    assert "invalid_client" in result.message and "demo environment" in result.message
    connection.refresh_from_db()
    assert CLIENT_KEY not in connection.last_test_result


def test_unreachable_host_is_reported(connection, http):
    result = connection_test(connection=connection)  # nothing mocked: the guard refuses
    assert not result.ok
    assert "could not be reached" in result.message and API.removesuffix("/v2") in result.message


@pytest.mark.parametrize("client_key", ["", "ck-not-a-guid"])
def test_empty_or_malformed_client_key_is_reported_before_any_request(connection, http, client_key):
    connection.secrets = {"client_key": client_key}
    connection.save()
    result = connection_test(connection=connection)
    assert not result.ok
    assert "client key" in result.message
    assert len(http.calls) == 0


def test_admin_button_shows_the_privilege_report(connection, http, token, admin_client):
    from django.urls import reverse

    http.add("GET", f"{API}/ClientIntegrationInformation", json=information(ALL_PRIVILEGES))
    url = reverse("admin:integrations_connection_test", args=[connection.pk])
    response = admin_client.post(url, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("Connection test passed" in m and "Fjordkraft Catering AS" in m for m in shown)
