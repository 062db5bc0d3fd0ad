"""The shared connector behaviour (auth failure, 429, 5xx, lost answer) for Azets."""

from __future__ import annotations

from integrations.azets import AzetsConnector
from tests.factories.accounting import CustomerFactory
from tests.factories.azets import AzetsSettingsFactory
from tests.integrations.connector_suite import ConnectorSuite

BASE = "http://azets.test/v1/parents/S1001/clients/42"


class TestAzetsConnectorSuite(ConnectorSuite):
    connector_class = AzetsConnector
    kind = "customer"
    write_request = ("PUT", f"{BASE}/customers/1001")
    test_request = ("GET", f"{BASE}/")

    def make_connection(self):
        self.settings.AZETS_BASE_URLS = {"sandbox": "http://azets.test", "demo": "",
                                         "production": ""}
        return AzetsSettingsFactory().connection

    def make_object(self, connection):
        return CustomerFactory(client=connection.client, number=1001)

    def mock_successful_export(self, http) -> str:
        http.add("PUT", f"{BASE}/customers/1001", status=201, json={"id": "1001"})
        return "1001"

    def mock_lost_response_then_recovery(self, http) -> str:
        # PUT by our number is idempotent: the retry simply replaces the stored customer.
        http.add("PUT", f"{BASE}/customers/1001", status=200, json={"id": "1001"})
        return "1001"
