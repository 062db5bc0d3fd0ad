"""The shared connector suite, run against the TestConnector (proves the suite itself)."""

from tests.factories.integrations import ConnectionFactory

from .connector_suite import ConnectorSuite
from .testconnector import BASE_URL, TestConnector


class TestTestConnectorSuite(ConnectorSuite):
    connector_class = TestConnector
    write_request = ("POST", f"{BASE_URL}/records")
    test_request = ("GET", f"{BASE_URL}/ping")

    def make_connection(self):
        self.settings.TESTCONNECTOR_BASE_URLS = {"sandbox": BASE_URL}
        return ConnectionFactory()

    def make_object(self, connection):
        return connection.client

    def mock_successful_export(self, http):
        http.post(f"{BASE_URL}/records", json={"id": 501}, status=201)
        return "501"

    def mock_lost_response_then_recovery(self, http):
        http.post(f"{BASE_URL}/records", json={"title": "reference exists"}, status=409)
        http.get(f"{BASE_URL}/records", json=[{"id": 502}])
        return "502"
