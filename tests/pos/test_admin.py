import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF
from integrations import registry
from integrations.base import BaseConnector, ConnectionTestResult
from integrations.models import System
from tests.factories import UserFactory
from tests.factories.integrations import ConnectionFactory
from tests.factories.pos import PosSaleFactory, PosSettingsFactory

pytestmark = pytest.mark.django_db


def test_settings_page_warns_about_vat_shows_account_connection_and_test_button(admin_client):
    pos_settings = PosSettingsFactory(invoice_payment_account=1950)
    ConnectionFactory(client=pos_settings.client, mode="production")
    page = admin_client.get(reverse("admin:pos_possettings_change", args=[pos_settings.pk]))
    text = page.content.decode()
    assert "VAT must be reported only once" in text
    assert "counter-posted to account 1950" in text
    assert "Production" in text
    assert reverse("admin:pos_possettings_test", args=[pos_settings.pk]) in text


def test_test_connection_is_post_only(admin_client):
    pos_settings = PosSettingsFactory()
    url = reverse("admin:pos_possettings_test", args=[pos_settings.pk])
    assert admin_client.get(url).status_code == 405


class ProductCheckingConnector(BaseConnector):
    """Answers the POS settings test as a connector would, remembering what it was asked."""

    system = System.POWEROFFICE

    def __init__(self):
        self.asked = []

    def pos_settings_test(self, pos_settings):
        self.asked.append(pos_settings.pk)
        return ConnectionTestResult(False, "These product ids do not exist: 25 % VAT (30).")


def test_test_connection_asks_the_connector_and_reports_its_answer(admin_client):
    pos_settings = PosSettingsFactory()
    url = reverse("admin:pos_possettings_test", args=[pos_settings.pk])
    with registry.override(ProductCheckingConnector()) as connector:
        response = admin_client.post(url, follow=True)
    assert connector.asked == [pos_settings.pk]
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["These product ids do not exist: 25 % VAT (30)."]  # the reason first


def test_sale_list_filters_and_searches_by_number(admin_client):
    sale = PosSaleFactory(number="55501")
    PosSaleFactory(number="66602")
    page = admin_client.get(reverse("admin:pos_possale_changelist"), {"q": "55501"})
    assert page.status_code == 200
    assert "55501" in page.content.decode() and "66602" not in page.content.decode()
    assert admin_client.get(
        reverse("admin:pos_possale_changelist"), {"status__exact": "unsent"}).status_code == 200
    assert admin_client.get(reverse("admin:pos_possale_change", args=[sale.pk])).status_code == 200


class TestImportPermissions:
    """django-import-export lets every staff user import unless told otherwise: an accountant
    (view only) must not rewrite POS settings or record sales through an import file."""

    @pytest.fixture
    def accountant(self, client):
        user = UserFactory()
        user.groups.add(Group.objects.get(name=ACCOUNTANTS))
        client.force_login(user)
        return client

    @pytest.mark.parametrize("model", ["possettings", "possale"])
    def test_accountant_cannot_open_the_import_page(self, accountant, model):
        response = accountant.get(reverse(f"admin:pos_{model}_import"))
        assert response.status_code == 403

    @pytest.mark.parametrize("model", ["possettings", "possale"])
    def test_accountant_can_still_export(self, accountant, model):
        response = accountant.get(reverse(f"admin:pos_{model}_export"))
        assert response.status_code == 200

    def test_back_office_staff_can_import_sales(self, client):
        user = UserFactory()
        user.groups.add(Group.objects.get(name=BACK_OFFICE_STAFF))
        client.force_login(user)
        assert client.get(reverse("admin:pos_possale_import")).status_code == 200


def test_a_sent_sale_is_read_only_and_cannot_be_deleted(admin_client):
    sale = PosSaleFactory(status="sent", external_id="4711")
    url = reverse("admin:pos_possale_change", args=[sale.pk])

    page = admin_client.get(url)
    posted = admin_client.post(url, {"number": "changed"})

    assert page.status_code == 200 and 'name="number"' not in page.content.decode()
    assert posted.status_code == 403
    assert admin_client.get(reverse("admin:pos_possale_delete", args=[sale.pk])).status_code == 403
    sale.refresh_from_db()
    assert sale.number != "changed"


def test_an_unsent_sale_can_still_be_corrected(admin_client):
    sale = PosSaleFactory()

    page = admin_client.get(reverse("admin:pos_possale_change", args=[sale.pk]))

    assert 'name="number"' in page.content.decode()


class TestProductPicker:
    """The product id boxes offer PowerOffice Go's products, fetched through the connection,
    with code, name and sales account; a typed id still works."""

    PRODUCTS = [
        {"Id": 30, "Code": "KASSE-25", "Name": "Servering 25 %", "StandardSalesAccountId": 1011},
        {"Id": 33, "Code": "KASSE-0", "Name": "Servering 0 %", "StandardSalesAccountId": 1012},
        {"Id": 99, "Code": "OLD", "Name": "Archived", "IsArchived": True},
    ]

    @pytest.fixture
    def pos_settings(self, settings, http):
        from tests.integrations.poweroffice.conftest import API
        from tests.integrations.poweroffice.export_helpers import (
            ACCOUNTS,
            make_connection,
            mock_token,
        )

        connection = make_connection(settings)
        mock_token(http)
        http.add("GET", f"{API}/Products", json=self.PRODUCTS)
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
        return PosSettingsFactory(client=connection.client, product_id_vat_25=30)

    def test_change_page_lists_the_products_with_code_name_and_sales_account(
        self, admin_client, pos_settings
    ):
        page = admin_client.get(
            reverse("admin:pos_possettings_change", args=[pos_settings.pk])
        ).content.decode()
        assert 'list="pos-poweroffice-products"' in page
        assert '<option value="30" label="KASSE-25 · Servering 25 % · sales account 3000">' in page
        assert '<option value="33" label="KASSE-0 · Servering 0 % · sales account 3100">' in page
        assert 'value="99"' not in page  # archived products are not offered
        assert '<tr data-product-id="30"><td>30</td><td>KASSE-25</td>' in page

    def test_a_typed_id_is_saved_as_typed(self, admin_client, pos_settings):
        url = reverse("admin:pos_possettings_change", args=[pos_settings.pk])
        form = admin_client.get(url).context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update({"client": pos_settings.client_id, "enabled_since": "2025-01-01",
                     "run_time": "03:00", "product_id_vat_12": "4711"})
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        pos_settings.refresh_from_db()
        assert pos_settings.product_id_vat_12 == 4711

    def test_no_connection_says_why_there_is_no_list(self, admin_client):
        pos_settings = PosSettingsFactory()
        page = admin_client.get(
            reverse("admin:pos_possettings_change", args=[pos_settings.pk])
        ).content.decode()
        assert "The product list could not be fetched:" in page
        assert "has no PowerOffice Go connection" in page


def test_run_days_are_ticked_on_the_settings_page_and_shape_the_schedule(admin_client):
    from django_q.models import Schedule

    from pos.schedules import pos_schedule_name

    pos_settings = PosSettingsFactory()
    url = reverse("admin:pos_possettings_change", args=[pos_settings.pk])
    page = admin_client.get(url)
    html = page.content.decode()
    assert 'type="checkbox" name="run_days" value="sun"' in html
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"client": pos_settings.client_id, "enabled_since": "2025-01-01",
                 "run_time": "23:30", "run_days": ["sat", "tue", "wed"]})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    pos_settings.refresh_from_db()
    assert pos_settings.run_days == "tue,wed,sat"
    assert Schedule.objects.get(name=pos_schedule_name(pos_settings.client)).cron == (
        "30 23 * * tue,wed,sat")


def test_no_run_day_ticked_is_refused(admin_client):
    pos_settings = PosSettingsFactory()
    url = reverse("admin:pos_possettings_change", args=[pos_settings.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if value is not None and name != "run_days"}
    data.update({"client": pos_settings.client_id, "enabled_since": "2025-01-01",
                 "run_time": "23:30"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "run_days" in response.context["adminform"].form.errors


def test_a_new_clients_pos_settings_run_every_day_unless_unticked(admin_client):
    from tests.factories import ClientFactory

    client = ClientFactory()
    html = admin_client.get(f"/admin/pos/possettings/add/?client={client.pk}").content.decode()
    import re

    boxes = re.findall(r'<input type="checkbox" name="run_days"[^>]*>', html)
    assert len(boxes) == 7
    assert all("checked" in box for box in boxes), boxes
