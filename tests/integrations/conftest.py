import pytest

from integrations import registry
from tests.factories.integrations import ConnectionFactory

from .testconnector import BASE_URL, TestConnector


@pytest.fixture
def connector(settings, http):
    """The TestConnector, registered for PowerOffice for the duration of the test. Its records
    are matched by reference before a create: none is there unless a test says so."""
    http.get(f"{BASE_URL}/records", json=[])
    settings.TESTCONNECTOR_BASE_URLS = {"sandbox": BASE_URL, "demo": "", "production": ""}
    settings.INTEGRATIONS_BACKOFF_BASE = 30
    settings.INTEGRATIONS_BACKOFF_CAP = 3600
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    settings.SITE_URL = "https://backoffice.example.com"
    with registry.override(TestConnector()) as connector:
        yield connector


@pytest.fixture
def connection(connector, db):
    return ConnectionFactory()
