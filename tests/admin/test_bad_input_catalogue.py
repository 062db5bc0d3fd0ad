"""The bad-input catalogue of admin forms (issue 17): the form comes back naming the field and
the value, nothing is saved; an organization number typed with spaces is kept whole."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounting.models import Account, Client, Customer, Product, VatCode
from tests.factories import ClientFactory, VatCodeFactory

pytestmark = pytest.mark.django_db
NUL = "a\x00b"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("adm", "adm@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def books():
    client = ClientFactory()
    VatCodeFactory(client=client, code="3", rate=Decimal("25.00"))
    return client


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    form = response.context["adminform"].form
    return " ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


def client_form(**overrides):
    return {
        "name": "Fjord AS",
        "organization_number": "923 456 783",
        "active": "on",
        "next_invoice_number": "10001",
        "invoice_language": "nb",
        **overrides,
    }


def customer_form(books, **overrides):
    return {
        "client": books.pk,
        "number": "30001",
        "name": "Kunde AS",
        "country_code": "NO",
        "invoice_delivery_method": "print",
        "discount_percent": "0",
        "payment_terms_days": "14",
        "state": "active",
        "contact_persons-TOTAL_FORMS": "0",
        "contact_persons-INITIAL_FORMS": "0",
        **overrides,
    }


def product_form(books, **overrides):
    return {
        "client": books.pk,
        "code": "P1",
        "name": "Bolt",
        "type": "goods",
        "cost_price": "0",
        "sales_price": "10",
        "vat_rate": "25",
        "active": "on",
        **overrides,
    }


CASES = [
    # (id, model path, form builder, overrides, model, field named, value named)
    (
        "org number with a bad check digit",
        "client",
        "client",
        {"organization_number": "923 456 789"},
        Client,
        "organization_number",
        "923456789",
    ),
    (
        "org number of letters",
        "client",
        "client",
        {"organization_number": "ABC'; --"},
        Client,
        "organization_number",
        "ABC",
    ),
    ("NUL in a client name", "client", "client", {"name": NUL}, Client, "name", "Null"),
    (
        "customer org number ABC'; --",
        "customer",
        "customer",
        {"organization_number": "ABC'; --"},
        Customer,
        "organization_number",
        "ABC",
    ),
    (
        "customer number of 12 digits",
        "customer",
        "customer",
        {"number": "999999999999"},
        Customer,
        "number",
        "",
    ),
    (
        "product price -10",
        "product",
        "product",
        {"sales_price": "-10"},
        Product,
        "sales_price",
        "-10",
    ),
    ("product VAT rate 7 %", "product", "product", {"vat_rate": "7"}, Product, "vat_rate", "7"),
    (
        "product price 1e400",
        "product",
        "product",
        {"sales_price": "1e400"},
        Product,
        "sales_price",
        "",
    ),
]


@pytest.mark.parametrize(
    ("path", "builder", "overrides", "model", "field", "value"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_admin_input_is_refused_naming_field_and_value(
    staff, books, path, builder, overrides, model, field, value
):
    data = {
        "client": client_form,
        "customer": lambda **o: customer_form(books, **o),
        "product": lambda **o: product_form(books, **o),
    }[builder](**overrides)
    before = model.objects.count()
    errors = form_errors(staff.post(f"/admin/accounting/{path}/add/", data))
    assert field in errors and value in errors, errors
    assert model.objects.count() == before


def test_org_number_typed_with_spaces_is_kept_whole_not_cut(staff):
    page = staff.get("/admin/accounting/client/add/").content.decode()
    assert 'maxlength="9"' not in page
    response = staff.post("/admin/accounting/client/add/", client_form())
    assert response.status_code == 302, form_errors(response)
    assert Client.objects.get(name="Fjord AS").organization_number == "923456783"


def test_vat_code_with_a_rate_norway_does_not_have_is_refused(staff, books):
    data = {"client": books.pk, "code": "9", "name": "Sju", "rate": "7"}
    errors = form_errors(staff.post("/admin/accounting/vatcode/add/", data))
    assert "rate" in errors and "7" in errors
    assert VatCode.objects.count() == 1


def test_eight_digit_account_number_is_refused(staff, books):
    data = {"client": books.pk, "number": "30000000", "name": "Salg", "active": "on"}
    errors = form_errors(staff.post("/admin/accounting/account/add/", data))
    assert "number" in errors and "30000000" in errors
    assert not Account.objects.exists()
