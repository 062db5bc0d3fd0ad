"""Autocompletes on client-owned records offer the form's client's records only, and say whose
record each choice is when no client is chosen yet."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounting.models import Account
from tests.factories.accounting import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    InvoiceFactory,
)

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "admin:autocomplete"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


@pytest.fixture
def two_clients():
    fjord, berg = ClientFactory(name="Fjord AS"), ClientFactory(name="Berg AS")
    for owner in (fjord, berg):
        AccountFactory(client=owner, number=3000, name="Salgsinntekt, avgiftspliktig")
    return fjord, berg


def lookup(admin_client, model_name, field_name, **params):
    response = admin_client.get(reverse(AUTOCOMPLETE), {
        "app_label": "accounting", "model_name": model_name, "field_name": field_name,
        "term": "", **params})
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_invoice_line_account_lookup_offers_only_the_forms_client(admin_client, two_clients):
    fjord, berg = two_clients

    texts = lookup(admin_client, "invoiceline", "account", client=fjord.pk)

    assert texts == ["3000 Salgsinntekt, avgiftspliktig"]
    account_ids = [r["id"] for r in admin_client.get(reverse(AUTOCOMPLETE), {
        "app_label": "accounting", "model_name": "invoiceline", "field_name": "account",
        "client": berg.pk}).json()["results"]]
    assert account_ids == [str(Account.objects.get(client=berg).pk)]


def test_lookup_without_a_client_names_each_records_client(admin_client, two_clients):
    texts = lookup(admin_client, "invoiceline", "account")

    assert sorted(texts) == ["3000 Salgsinntekt, avgiftspliktig · Berg AS",
                             "3000 Salgsinntekt, avgiftspliktig · Fjord AS"]


@pytest.mark.parametrize(("model_name", "field_name", "make"), [
    ("invoice", "customer", lambda owner: CustomerFactory(client=owner, name="Kunde AS")),
    ("account", "vat_code", lambda owner: AccountFactory(client=owner).vat_code),
    ("productgroup", "sales_account", lambda owner: AccountFactory(client=owner)),
])
def test_every_client_owned_lookup_is_scoped(admin_client, model_name, field_name, make):
    fjord, berg = ClientFactory(name="Fjord AS"), ClientFactory(name="Berg AS")
    make(fjord), make(berg)

    scoped = lookup(admin_client, model_name, field_name, client=fjord.pk)
    everyone = lookup(admin_client, model_name, field_name)

    assert len(scoped) == 1 and "·" not in scoped[0]
    assert len(everyone) == 2 and {text.split(" · ")[1] for text in everyone} == {
        "Fjord AS", "Berg AS"}


def test_client_lookup_itself_is_not_narrowed(admin_client, two_clients):
    fjord, _berg = two_clients
    assert sorted(lookup(admin_client, "invoice", "client", client=fjord.pk)) == [
        "Berg AS", "Fjord AS"]


def test_invoice_page_loads_the_client_scoping_script_after_djangos(admin_client):
    invoice = InvoiceFactory()

    html = admin_client.get(
        reverse("admin:accounting_invoice_change", args=[invoice.pk])).content.decode()

    django_js = html.index("admin/js/autocomplete.js")
    ours = html.index("accounting/js/client_scoped_autocomplete.js")
    assert django_js < ours
