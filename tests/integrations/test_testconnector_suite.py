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

    def mock_preconditions(self, http):
        http.get(f"{BASE_URL}/records", json=[])  # not there yet

    def mock_successful_export(self, http):
        http.post(f"{BASE_URL}/records", json={"id": 501}, status=201)
        return "501"

    def mock_lost_response_then_recovery(self, http):
        """The create was stored though its answer was lost: the retry finds the record by our
        reference and updates it, without a second create."""
        http.replace("GET", f"{BASE_URL}/records", json=[{"id": 502}])
        http.patch(f"{BASE_URL}/records/502", json={"id": 502})
        return "502"
