"""The shared connector behaviour suite, run against the PowerOffice Go connector (customers)."""

from __future__ import annotations

from integrations.poweroffice.connector import PowerOfficeConnector
from tests.factories import CustomerFactory
from tests.integrations.connector_suite import ConnectorSuite

from .conftest import API
from .export_helpers import CUSTOMER_ROW, make_connection, mock_reference_data, mock_token


class TestPowerOfficeConnectorSuite(ConnectorSuite):
    connector_class = PowerOfficeConnector
    kind = "customer"
    write_request = ("POST", f"{API}/Customers")
    test_request = ("GET", f"{API}/ClientIntegrationInformation")

    def make_connection(self):
        return make_connection(self.settings)

    def make_object(self, connection):
        return CustomerFactory(client=connection.client, number=10001)

    def mock_preconditions(self, http) -> None:
        mock_token(http)
        mock_reference_data(http)
        http.add("GET", f"{API}/Customers", status=204)  # not in PowerOffice yet

    def mock_successful_export(self, http) -> str:
        http.add("POST", f"{API}/Customers", json=CUSTOMER_ROW, status=201)
        return str(CUSTOMER_ROW["Id"])

    def mock_lost_response_then_recovery(self, http) -> str:
        """The POST was stored though its answer was lost: the retry finds the customer by
        number, patches what differs and binds it, without a second POST."""
        http.replace("GET", f"{API}/Customers", json=[CUSTOMER_ROW])
        http.add("PATCH", f"{API}/Customers/{CUSTOMER_ROW['Id']}", json=CUSTOMER_ROW)
        return str(CUSTOMER_ROW["Id"])
