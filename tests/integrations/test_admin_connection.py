"""Connection admin: write-only secrets and the Test connection button."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from integrations.models import Connection
from tests.factories.integrations import TEST_CLIENT_KEY, ClientFactory

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("admin", "admin@example.com", "pw")


def change_url(connection):
    return reverse("admin:integrations_connection_change", args=[connection.pk])


def test_change_form_never_shows_a_stored_secret(client, admin_user, connection):
    client.force_login(admin_user)

    html = client.get(change_url(connection)).content.decode()

    assert TEST_CLIENT_KEY not in html
    assert 'type="password"' in html
    assert "Client key: set" in html


def test_blank_secret_keeps_the_stored_value_and_a_new_one_replaces_it(
    client, admin_user, connection
):
    client.force_login(admin_user)
    form = {"mode": "sandbox", "enabled": "on", "error_recipients": "a@example.com",
            "secret__client_key": ""}

    assert client.post(change_url(connection), form).status_code == 302
    connection.refresh_from_db()
    assert connection.secrets == {"client_key": TEST_CLIENT_KEY}

    client.post(change_url(connection), {**form, "secret__client_key": "new-key-123"})
    connection.refresh_from_db()
    assert connection.secrets == {"client_key": "new-key-123"}


def test_new_secret_forgets_the_last_test_so_the_checklist_asks_again(
    client, admin_user, connection
):
    Connection.objects.filter(pk=connection.pk).update(
        last_test_ok=True, last_test_result="Connected.")
    client.force_login(admin_user)
    form = {"mode": "sandbox", "enabled": "on", "error_recipients": "a@example.com"}

    client.post(change_url(connection), {**form, "secret__client_key": TEST_CLIENT_KEY})
    connection.refresh_from_db()
    assert connection.last_test_ok is True  # the same key again: still tested

    client.post(change_url(connection), {**form, "secret__client_key": "new-key-123"})
    connection.refresh_from_db()
    assert (connection.last_test_ok, connection.last_test_result) == (None, "")


def test_add_form_stores_secrets_encrypted(client, admin_user, connector):
    client.force_login(admin_user)
    customer = ClientFactory()

    response = client.post(
        reverse("admin:integrations_connection_add"),
        {"client": customer.pk, "system": "poweroffice", "mode": "sandbox",
         "error_recipients": "a@example.com, b@example.com", "secret__client_key": "key-4567"},
    )

    assert response.status_code == 302
    assert Connection.objects.get().secrets == {"client_key": "key-4567"}


def test_invalid_recipient_is_rejected_naming_the_address(client, admin_user, connection):
    client.force_login(admin_user)
    response = client.post(change_url(connection), {"mode": "sandbox", "error_recipients": "nope"})
    assert "“nope” is not a valid e-mail address." in response.content.decode()


def test_test_connection_button_reports_the_result_and_stores_it(
    client, admin_user, connection, http
):
    client.force_login(admin_user)
    http.get(f"{BASE_URL}/ping", json={"message": "bad key"}, status=401)
    url = reverse("admin:integrations_connection_test", args=[connection.pk])

    response = client.post(url, follow=True)

    assert "Connection test failed" in response.content.decode()
    connection.refresh_from_db()
    assert connection.last_test_ok is False
    assert "bad key" in connection.last_test_result


def test_test_connection_is_post_only(client, admin_user, connection):
    client.force_login(admin_user)
    url = reverse("admin:integrations_connection_test", args=[connection.pk])
    assert client.get(url).status_code == 405


def test_test_connection_needs_change_permission(client, connection):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_connection"))
    client.force_login(viewer)

    response = client.post(reverse("admin:integrations_connection_test", args=[connection.pk]))

    assert response.status_code == 403


def test_connector_admin_inlines_appear_on_its_connections(client, admin_user, connection):
    from django.contrib import admin

    from integrations import registry
    from integrations.models import Transfer

    from .testconnector import TestConnector

    class SettingsInline(admin.TabularInline):  # stands in for a connector's settings model
        model = Transfer
        fields = ["kind"]
        verbose_name_plural = "Connector settings stand-in"

    class ConnectorWithSettings(TestConnector):
        admin_inlines = (SettingsInline,)

    client.force_login(admin_user)
    with registry.override(ConnectorWithSettings()):
        html = client.get(change_url(connection)).content.decode()

    assert "Connector settings stand-in" in html


def test_accountant_sees_the_stored_state_and_no_none_for_form_only_inputs(client, connection):
    from django.contrib.auth.models import Group

    from accounting.roles import ACCOUNTANTS, roles_apply
    from tests.factories import UserFactory

    roles_apply(group_model=Group, permission_model=Permission)
    accountant = UserFactory()
    accountant.groups.add(Group.objects.get(name=ACCOUNTANTS))
    client.force_login(accountant)

    html = client.get(change_url(connection)).content.decode()

    assert "Client key: set" in html
    assert '<div class="readonly">None</div>' not in html
