import pytest
from django.urls import reverse

from integrations import registry
from integrations.base import BaseConnector, ConnectionTestResult
from integrations.models import System
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
    assert shown == ["Connection test failed: These product ids do not exist: 25 % VAT (30)."]


def test_sale_list_filters_and_searches_by_number(admin_client):
    sale = PosSaleFactory(number="55501")
    PosSaleFactory(number="66602")
    page = admin_client.get(reverse("admin:pos_possale_changelist"), {"q": "55501"})
    assert page.status_code == 200
    assert "55501" in page.content.decode() and "66602" not in page.content.decode()
    assert admin_client.get(
        reverse("admin:pos_possale_changelist"), {"status__exact": "unsent"}).status_code == 200
    assert admin_client.get(reverse("admin:pos_possale_change", args=[sale.pk])).status_code == 200
