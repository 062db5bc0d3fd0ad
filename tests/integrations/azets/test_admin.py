"""The Azets settings page of its own: Add picks the connection (no 500), Change keeps it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from integrations.azets.models import AzetsSettings
from tests.factories.azets import AzetsConnectionFactory, AzetsSettingsFactory
from tests.factories.integrations import ConnectionFactory

pytestmark = pytest.mark.django_db

ADD_URL = "admin:azets_azetssettings_add"
FORM = {"source_client_id": "42", "parent_client_id": "S1001", "export_customers": "on",
        "export_invoices": "on"}


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


def test_add_saves_the_settings_on_the_chosen_connection(admin_client):
    connection = AzetsConnectionFactory()

    response = admin_client.post(reverse(ADD_URL), {**FORM, "connection": connection.pk})

    assert response.status_code == 302
    assert AzetsSettings.objects.get().connection == connection


def test_add_without_a_connection_is_a_form_error_not_a_server_error(admin_client):
    response = admin_client.post(reverse(ADD_URL), FORM)

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not AzetsSettings.objects.exists()


def test_add_offers_only_azets_connections_without_settings(admin_client):
    free = AzetsConnectionFactory(client__name="Free AS")
    AzetsSettingsFactory(connection__client__name="Taken AS")
    ConnectionFactory(client__name="PowerOffice Only AS")

    html = admin_client.get(reverse(ADD_URL)).content.decode()
    offered = html.split('name="connection"')[1].split("</select>")[0]

    assert "Free AS" in offered
    assert "Taken AS" not in offered and "PowerOffice Only AS" not in offered
    assert f'value="{free.pk}"' in offered


def test_change_shows_the_connection_read_only_and_saves(admin_client):
    settings = AzetsSettingsFactory(connection__client__name="Fjord AS")
    url = reverse("admin:azets_azetssettings_change", args=[settings.pk])

    assert "Fjord AS" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {**FORM, "source_client_id": "77"})

    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.source_client_id == "77"


def test_billability_offers_units_one_to_six_and_refuses_seven(admin_client):
    connection = AzetsConnectionFactory()
    html = admin_client.get(reverse(ADD_URL)).content.decode()
    assert "(R6," in html and "(R7," not in html.split('name="billability_dimension"')[1]

    response = admin_client.post(reverse(ADD_URL), {
        **FORM, "connection": connection.pk, "import_expenses": "on",
        "expense_activity_name": "Utlegg", "billability_dimension": "7"})

    assert response.status_code == 200
    assert not AzetsSettings.objects.exists()
