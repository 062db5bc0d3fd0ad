"""The setup checklist: each step's state, the page, who may see it, and the production switch
that needs a confirmation while a step is red."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF, roles_apply
from integrations import checklist
from integrations.checklist import MISSING, NOT_NEEDED, OK, UNKNOWN, client_checklist
from integrations.models import Connection, Mode
from integrations.poweroffice import checklist as po_checklist
from integrations.poweroffice import sandbox
from integrations.schedules import schedules_sync_all
from tests.factories import AccountFactory, CustomerFactory, UserFactory
from tests.factories.integrations import ConnectionFactory
from tests.factories.pos import PosSettingsFactory
from tests.test_i18n import _compiled_catalogues, catalogues  # noqa: F401  (compiled .mo files)

pytestmark = pytest.mark.django_db
SECRET = sandbox.DEFAULT_CLIENT_KEY


def steps_by_key(client, **kwargs):
    return {step.key: step for step in client_checklist(client=client, **kwargs)}


@pytest.fixture
def remote_ok(monkeypatch):
    """PowerOffice Go answers: series 10000-19999, every product exists."""

    class FakeLookups:
        def customer_series(self):
            return [(10000, 19999)]

        def product_exists(self, product_id):
            return product_id != 404

    monkeypatch.setattr(po_checklist, "_lookups", lambda connection: FakeLookups())


def connection_tested(**kwargs):
    connection = ConnectionFactory(
        secrets={"client_key": SECRET}, last_test_ok=True, last_tested_at=timezone.now(), **kwargs
    )
    books_compared(connection)
    return connection


def books_compared(connection):
    """An account plan and a customer here, compared with PowerOffice Go without differences."""
    from integrations.reconciliation.models import AccountPlanCheck

    AccountFactory(client=connection.client, number=1920)
    CustomerFactory(client=connection.client, number=19999)
    AccountPlanCheck.objects.create(
        connection=connection, our_accounts=1, their_accounts=9, their_vat_codes=7
    )


def user_in(group_name):
    roles_apply(group_model=Group, permission_model=Permission)
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


class TestSteps:
    def test_client_without_connection_has_a_red_connection_step_linking_to_add(self):
        from tests.factories import ClientFactory

        client = ClientFactory()
        step = steps_by_key(client)["connection"]
        assert step.state == MISSING
        assert step.fix_url.endswith(f"/admin/integrations/connection/add/?client={client.pk}")

    def test_unconnection_tested_is_red_and_a_passed_test_is_green(self, remote_ok):
        connection = ConnectionFactory(secrets={"client_key": SECRET})
        assert steps_by_key(connection.client)["connection_poweroffice"].state == MISSING
        connection.last_test_ok = True
        connection.save()
        assert steps_by_key(connection.client)["connection_poweroffice"].state == OK

    def test_missing_credentials_are_named_in_the_connectors_own_words(self, remote_ok):
        connection = ConnectionFactory(system="azets", secrets={"username": "kari"})
        step = steps_by_key(connection.client)["connection_azets"]
        assert step.state == MISSING
        assert step.detail.startswith("Password not saved yet") and "client key" not in step.detail

    def test_accounts_missing_vat_codes_are_counted_and_linked(self, remote_ok):
        connection = connection_tested()
        AccountFactory(client=connection.client, number=3000, external_vat_code="")
        AccountFactory(client=connection.client, number=3100, external_vat_code="")
        step = steps_by_key(connection.client)["vat_codes"]
        assert step.state == MISSING and "2 accounts have no external VAT code" in step.detail
        assert "external_vat_code=missing" in step.fix_url
        assert f"client__id__exact={connection.client_id}" in step.fix_url

    def test_connection_without_error_recipients_is_red(self, remote_ok):
        connection = connection_tested(error_recipients="")
        assert steps_by_key(connection.client)["error_recipients"].state == MISSING

    def test_pos_product_unknown_in_poweroffice_is_named(self, remote_ok):
        connection = connection_tested()
        PosSettingsFactory(client=connection.client, enabled=True, product_id_vat_25=404)
        step = steps_by_key(connection.client)["pos_products"]
        assert step.state == MISSING and "(404)" in step.detail

    def test_pos_off_is_not_needed(self, remote_ok):
        connection = connection_tested()
        assert steps_by_key(connection.client)["pos_products"].state == NOT_NEEDED

    def test_customer_numbers_outside_the_series_are_counted(self, remote_ok):
        connection = connection_tested()
        CustomerFactory(client=connection.client, number=10001)
        CustomerFactory(client=connection.client, number=20001)
        step = steps_by_key(connection.client)["customer_numbers"]
        assert step.state == MISSING and "20001" in step.detail and "10000–19999" in step.detail

    def test_unreachable_poweroffice_makes_remote_steps_unknown_with_the_reason(self):
        connection = connection_tested()  # the network guard refuses every call
        step = steps_by_key(connection.client)["customer_numbers"]
        assert step.state == UNKNOWN and "could not be asked" in step.detail

    def test_schedules_turn_green_after_the_sync(self, remote_ok):
        connection = connection_tested()
        assert steps_by_key(connection.client)["schedules"].state == MISSING
        schedules_sync_all()
        assert steps_by_key(connection.client)["schedules"].state == OK


class TestPage:
    def test_back_office_sees_the_checklist_with_fix_links(self, client, remote_ok):
        connection = ConnectionFactory(secrets={"client_key": SECRET})
        client.force_login(user_in(BACK_OFFICE_STAFF))
        url = reverse("admin:accounting_client_checklist", args=[connection.client_id])
        response = client.get(url)
        assert response.status_code == 200
        assert b'data-step="connection_poweroffice" data-state="missing"' in response.content
        assert reverse("admin:integrations_connection_change", args=[connection.pk]).encode() in (
            response.content)

    def test_the_create_schedules_button_creates_them(self, client, remote_ok):
        connection = connection_tested()
        client.force_login(user_in(BACK_OFFICE_STAFF))
        url = reverse("admin:accounting_client_checklist", args=[connection.client_id])
        client.post(url)
        assert steps_by_key(connection.client)["schedules"].state == OK

    def test_accountant_gets_403_and_no_link(self, client):
        connection = connection_tested()
        client.force_login(user_in(ACCOUNTANTS))
        url = reverse("admin:accounting_client_checklist", args=[connection.client_id])
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        listing = client.get(reverse("admin:accounting_client_changelist"))
        change = client.get(reverse("admin:accounting_client_change", args=[connection.client_id]))
        assert url.encode() not in listing.content and url.encode() not in change.content

    def test_no_added_page_shows_the_secret(self, client, remote_ok):
        from tests.factories.integrations import TransferFactory

        connection = connection_tested()
        transfer = TransferFactory(connection=connection, status="failed",
                                   last_error="Credentials rejected (HTTP 401)")  # fmt: skip
        client.force_login(UserFactory(is_superuser=True))
        for url in (
            reverse("admin:index"),
            reverse("admin:accounting_client_checklist", args=[connection.client_id]),
            reverse("admin:accounting_client_change", args=[connection.client_id]),
            reverse("admin:integrations_connection_change", args=[connection.pk]),
            reverse("admin:integrations_transfer_change", args=[transfer.pk]),
            reverse("admin:integrations_transfer_changelist") + "?status__exact=failed",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET.encode() not in response.content, url


class TestProductionSwitch:
    def change(self, client, connection, **data):
        form = {
            "mode": Mode.PRODUCTION, "enabled": "on", "enabled_since": "",
            "error_recipients": connection.error_recipients, "secret__client_key": "",
            "poweroffice_settings-TOTAL_FORMS": "0", "poweroffice_settings-INITIAL_FORMS": "0",
            **data,
        }  # fmt: skip
        url = reverse("admin:integrations_connection_change", args=[connection.pk])
        return client.post(url, form)

    def test_red_steps_refuse_the_switch_naming_them_and_keep_the_input(self, client, remote_ok):
        connection = ConnectionFactory(secrets={"client_key": SECRET})  # never tested
        client.force_login(UserFactory(is_superuser=True))
        response = self.change(client, connection, error_recipients="ops@example.com")
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "confirm_production" in errors
        assert "Connection to PowerOffice Go saved and tested" in errors["confirm_production"][0]
        assert b"ops@example.com" in response.content
        connection.refresh_from_db()
        assert connection.mode == Mode.SANDBOX

    def test_switch_names_every_step_the_page_shows_red(self, client, monkeypatch):
        """The page (sandbox mode) shows red steps, among them the connection never tested and a
        POS product id PowerOffice Go lacks. Asked in production mode with keys not valid there,
        the product check cannot answer; the switch still names every red step, not only the
        first."""
        from integrations.errors import AuthError

        class LookupsByMode:
            def __init__(self, connection):
                self.mode = connection.mode

            def customer_series(self):
                if self.mode == Mode.PRODUCTION:
                    raise AuthError("HTTP 401", system="poweroffice")
                return [(10000, 19999)]

            def product_exists(self, product_id):
                if self.mode == Mode.PRODUCTION:
                    raise AuthError("HTTP 401", system="poweroffice")
                return product_id != 404

        monkeypatch.setattr(po_checklist, "_lookups", LookupsByMode)
        connection = ConnectionFactory(secrets={"client_key": SECRET})  # never tested
        PosSettingsFactory(client=connection.client, enabled=True, product_id_vat_25=404)
        schedules_sync_all()
        client.force_login(UserFactory(is_superuser=True))
        page = client.get(reverse("admin:accounting_client_checklist",
                                  args=[connection.client_id]))
        red = [step.title for step in page.context["red"]]
        assert "Connection to PowerOffice Go saved and tested" in red
        assert "POS product ids verified in PowerOffice Go" in red

        response = self.change(client, connection, error_recipients="ops@example.com")
        assert response.status_code == 200
        [error] = response.context["adminform"].form.errors["confirm_production"]
        assert error.startswith(f"These {len(red)} setup steps are not done:")
        assert all(title in error for title in red)

    def test_confirming_switches_to_production_despite_red_steps(self, client, remote_ok):
        connection = ConnectionFactory(secrets={"client_key": SECRET})
        client.force_login(UserFactory(is_superuser=True))
        response = self.change(client, connection, confirm_production="on")
        assert response.status_code == 302
        connection.refresh_from_db()
        assert connection.mode == Mode.PRODUCTION

    def test_all_green_switches_without_confirmation(self, client, remote_ok):
        connection = connection_tested()
        schedules_sync_all()
        client.force_login(UserFactory(is_superuser=True))
        assert self.change(client, connection).status_code == 302
        assert Connection.objects.get(pk=connection.pk).mode == Mode.PRODUCTION

    def test_recipients_entered_in_the_same_form_count(self, client, remote_ok):
        connection = connection_tested(error_recipients="")
        schedules_sync_all()
        client.force_login(UserFactory(is_superuser=True))
        response = self.change(client, connection, error_recipients="ops@example.com")
        assert response.status_code == 302


def test_checklist_red_steps_lists_only_missing(remote_ok):
    connection = connection_tested(error_recipients="")
    keys = {step.key for step in checklist.checklist_red_steps(client=connection.client)}
    assert keys == {"error_recipients", "schedules"}


@pytest.mark.usefixtures("catalogues")
def test_language_menu_switches_the_checklist_to_bokmal(client, remote_ok):
    connection = connection_tested()
    client.force_login(user_in(BACK_OFFICE_STAFF))
    url = reverse("admin:accounting_client_checklist", args=[connection.client_id])
    assert b'name="language"' in client.get(url).content
    client.post(reverse("set_language"), {"language": "nb", "next": url})
    response = client.get(url)
    assert "Sjekkliste for oppsett" in response.content.decode()
