"""Azets: an API key replaces username and password (the seed's one-time configuration)."""

import pytest
from django.urls import reverse

from integrations import errors
from integrations.azets import sandbox
from integrations.azets.client import AzetsClient
from integrations.azets.connector import AzetsConnector
from integrations.checklist import step_connection_tested
from integrations.models import System
from tests.factories import UserFactory
from tests.factories.azets import AzetsSettingsFactory
from tests.factories.integrations import ConnectionFactory

pytestmark = pytest.mark.django_db


def names(fields) -> list[str]:
    return [f.name for f in fields]


class TestWhatIsMissing:
    @pytest.mark.parametrize(
        ("secrets", "missing"),
        [
            ({}, ["api_key"]),
            ({"api_key": "k"}, []),
            ({"username": "u", "password": "p"}, []),
            ({"username": "u"}, ["password"]),
            ({"api_key": "k", "username": "u"}, []),
        ],
    )
    def test_a_key_or_a_full_login_is_enough(self, secrets, missing):
        assert names(AzetsConnector().missing_secrets(secrets)) == missing

    def test_a_connection_without_any_credential_names_the_api_key(self):
        connection = ConnectionFactory(system=System.AZETS, secrets={})
        with pytest.raises(errors.ConnectionMisconfigured, match="missing API key"):
            AzetsConnector().require_secrets(connection)

    def test_the_checklist_asks_for_the_api_key(self):
        connection = ConnectionFactory(system=System.AZETS, secrets={})
        step = step_connection_tested(client=connection.client, connection=connection)
        assert step.detail == "API key not saved yet: enter it on the connection and save."


class TestClient:
    def test_the_key_is_sent_as_apikey_header_and_never_basic(self):
        client = AzetsClient(base_url="http://azets.invalid", parent_client_id="S1",
                             source_client_id="1", api_key="secret-key")  # fmt: skip
        assert client.headers["Authorization"] == "ApiKey secret-key"
        assert client.auth is None

    def test_the_connector_builds_a_key_client(self):
        connection = ConnectionFactory(system=System.AZETS, secrets={"api_key": "k-1"})
        AzetsSettingsFactory(connection=connection)
        client = AzetsConnector().client_for(connection)
        assert client.headers["Authorization"] == "ApiKey k-1"


class TestAdminWording:
    def test_the_connection_form_offers_the_api_key_first(self, client):
        connection = ConnectionFactory(system=System.AZETS, secrets={})
        AzetsSettingsFactory(connection=connection)
        client.force_login(UserFactory(is_superuser=True))
        page = client.get(reverse("admin:integrations_connection_change", args=[connection.pk]))
        content = page.content.decode()
        assert content.index("API key") < content.index("Username")
        assert "With a key, username and password are not needed." in content


@pytest.mark.parametrize(("header", "status"), [
    (f"ApiKey {sandbox.DEFAULT_API_KEY}", 201),
    ("ApiKey wrong-key", 401),
    ("ApiKey ", 401),
])
def test_the_sandbox_accepts_its_api_key_and_refuses_others(header, status):
    from werkzeug.test import Client

    from integrations.azets.sandbox.app import AzetsSandbox

    web = Client(AzetsSandbox())
    response = web.put("/v1/parents/S1001/clients/42/customers/1001", json={"name": "Fjord AS"},
                       headers={"Authorization": header})  # fmt: skip
    assert response.status_code == status
