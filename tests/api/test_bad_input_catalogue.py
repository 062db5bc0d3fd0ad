"""The bad-input catalogue of the inbound API (issue 17): every input is refused with a 4xx
problem naming the field, nothing reaches a 500 and nothing is written."""

import json
from decimal import Decimal

import pytest

from accounting.models import Account, Customer, Department, Invoice, InvoiceLine, Product
from pos.models import PosSale, PosSaleLine
from tests.factories import AccountFactory, CustomerFactory, VatCodeFactory

from .conftest import problem

pytestmark = pytest.mark.django_db

WRITTEN = (Invoice, InvoiceLine, PosSale, PosSaleLine, Customer, Product, Account, Department)
NUL = "a\x00b"


@pytest.fixture
def books(api):
    VatCodeFactory(client=api.client, code="3", rate=Decimal("25.00"))
    AccountFactory(client=api.client, number=3000)
    AccountFactory(client=api.client, number=4000, name="Varekjøp")
    CustomerFactory(client=api.client, number=10001)
    CustomerFactory(client=api.client, number=20001, name="Kontantkunde")
    return api


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def invoice(line=None, **header) -> dict:
    base_line = {
        "description": "Rådgivning",
        "account_number": 3000,
        "quantity": "2",
        "unit_price": "950.00",
    }
    return {
        "customer_number": 10001,
        "invoice_date": "2025-03-14",
        "lines": [{**base_line, **(line or {})}],
        **header,
    }


def sale(line=None, **header) -> dict:
    base_line = {
        "description": "Pizza",
        "quantity": "1",
        "amount_incl_vat": "199.00",
        "vat_rate": 15,
    }
    return {
        "number": "R-1",
        "till": "Bar",
        "sold_at": "2025-03-14T21:05:00+01:00",
        "customer_number": 20001,
        "lines": [{**base_line, **(line or {})}],
        **header,
    }


def named(response) -> set[str]:
    return {e.get("pointer") or e.get("parameter") for e in problem(response).get("errors", [])}


WRITES = [
    # (id, method, path, body, status, field named)
    (
        "unit price 1e400",
        "post",
        "/invoices",
        invoice({"unit_price": "1e400"}),
        422,
        "#/lines/0/unit_price",
    ),
    (
        "unit price NaN",
        "post",
        "/invoices",
        invoice({"unit_price": "NaN"}),
        422,
        "#/lines/0/unit_price",
    ),
    (
        "NUL in line description",
        "post",
        "/invoices",
        invoice({"description": NUL}),
        422,
        "#/lines/0/description",
    ),
    (
        "escape in invoice reference",
        "post",
        "/invoices",
        invoice(your_reference="x\x1b[2J"),
        422,
        "#/your_reference",
    ),
    (
        "description over 255",
        "post",
        "/invoices",
        invoice(description="x" * 256),
        422,
        "#/description",
    ),
    (
        "invoice dated 0001-01-01",
        "post",
        "/invoices",
        invoice(invoice_date="0001-01-01"),
        422,
        "#/invoice_date",
    ),
    (
        "invoice dated 2099",
        "post",
        "/invoices",
        invoice(invoice_date="2099-01-01"),
        422,
        "#/invoice_date",
    ),
    ("quantity 0", "post", "/invoices", invoice({"quantity": "0"}), 422, "#/lines/0/quantity"),
    (
        "sales line on cost account 4000",
        "post",
        "/invoices",
        invoice({"account_number": 4000}),
        422,
        "#/lines/0/account_number",
    ),
    (
        "customer number 10^20",
        "post",
        "/invoices",
        invoice(customer_number=10**20),
        422,
        "#/customer_number",
    ),
    (
        "discount 101 %",
        "post",
        "/invoices",
        invoice({"discount_percent": "101"}),
        422,
        "#/lines/0/discount_percent",
    ),
    ("currency rate 0", "post", "/invoices", invoice(currency_rate="0"), 422, "#/currency_rate"),
    (
        "boolean 'yes'",
        "post",
        "/invoices",
        invoice(zero_total_intended="yes"),
        422,
        "#/zero_total_intended",
    ),
    (
        "POS amount of 20 digits",
        "post",
        "/pos-sales",
        sale({"amount_incl_vat": "12345678901234567890"}),
        422,
        "#/lines/0/amount_incl_vat",
    ),
    ("NUL in POS till", "post", "/pos-sales", sale(till=NUL), 422, "#/till"),
    (
        "POS sale in 2099",
        "post",
        "/pos-sales",
        sale(sold_at="2099-01-01T12:00:00+01:00"),
        422,
        "#/sold_at",
    ),
    (
        "POS sale in 1999",
        "post",
        "/pos-sales",
        sale(sold_at="1999-12-31T12:00:00+01:00"),
        422,
        "#/sold_at",
    ),
    (
        "naive POS sold_at",
        "post",
        "/pos-sales",
        sale(sold_at="2025-03-14T21:05:00"),
        422,
        "#/sold_at",
    ),
    ("POS quantity 0", "post", "/pos-sales", sale({"quantity": "0"}), 422, "#/lines"),
    ("POS total 0", "post", "/pos-sales", sale({"amount_incl_vat": "0"}), 422, "#/lines"),
    (
        "POS note of 100,000 characters",
        "post",
        "/pos-sales",
        sale(note="x" * 100_000),
        422,
        "#/note",
    ),
    ("POS sale number with /", "post", "/pos-sales", sale(number="R/1"), 422, "#/number"),
    ("POS sale number with space", "post", "/pos-sales", sale(number="R 1"), 422, "#/number"),
    ("POS VAT rate 7", "post", "/pos-sales", sale({"vat_rate": 7}), 422, "#/lines"),
    (
        "org number ABC'; --",
        "put",
        "/customers/30001",
        {"name": "X AS", "organization_number": "ABC'; --"},
        422,
        "#/organization_number",
    ),
    (
        "org number bad check digit",
        "put",
        "/customers/30001",
        {"name": "X AS", "organization_number": "923 456 789"},
        422,
        "#/organization_number",
    ),
    (
        "customer number 10^20 in the path",
        "put",
        f"/customers/{10**20}",
        {"name": "X AS"},
        422,
        "number",
    ),
    (
        "product price -10",
        "put",
        "/products/P1",
        {"name": "Bolt", "sales_price": "-10"},
        422,
        "#/sales_price",
    ),
    (
        "product VAT rate 7 %",
        "put",
        "/products/P1",
        {"name": "Bolt", "vat_rate": "7"},
        422,
        "#/vat_rate",
    ),
    (
        "product VAT rate 15 % without a code",
        "put",
        "/products/P1",
        {"name": "Bolt", "vat_rate": "15"},
        422,
        "#/vat_rate",
    ),
    ("8-digit account number", "put", "/accounts/30000000", {"name": "Salg"}, 422, "#/number"),
    (
        "active 'maybe'",
        "put",
        "/departments/D1",
        {"name": "Salg", "active": "maybe"},
        422,
        "#/active",
    ),
    ("active 1", "put", "/departments/D1", {"name": "Salg", "active": 1}, 422, "#/active"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [case[1:] for case in WRITES],
    ids=[case[0] for case in WRITES],
)
def test_bad_document_is_refused_naming_the_field_and_nothing_is_written(
    books, method, path, body, status, field
):
    before = counts()
    response = books.call(method, path, body)
    assert response.status_code == status, response.content
    assert field in named(response)
    assert counts() == before


READS = [
    ("page 10^20", "/invoices", {"page": str(10**20)}, 422, "page"),
    ("page 0", "/pos-sales", {"page": "0"}, 422, "page"),
    ("NUL in a filter", "/pos-sales", {"till": NUL}, 400, "till"),
    ("unknown state filter", "/invoices", {"state": "paid'--"}, 422, "state"),
    ("invoice id 10^20", f"/invoices/{10**20}", {}, 422, "invoice_id"),
    ("sale number of 41 characters", "/pos-sales/" + "x" * 41, {}, 422, "number"),
]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [case[1:] for case in READS],
    ids=[case[0] for case in READS],
)
def test_bad_query_or_path_is_refused_naming_the_parameter(books, path, params, status, field):
    response = books.get(path, **params)
    assert response.status_code == status, response.content
    assert field in named(response)


def test_nul_in_the_path_is_refused(books):
    response = books.http.get("/api/v1/pos-sales/R%001", headers=books.headers())
    assert response.status_code == 400
    assert "path" in named(response)


def test_text_plain_body_is_refused_with_415_not_parsed(books):
    before = counts()
    response = books.http.post(
        "/api/v1/invoices",
        json.dumps(invoice()),
        content_type="text/plain",
        headers=books.headers(),
    )
    assert response.status_code == 415
    assert problem(response)["title"]
    assert counts() == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("delete", "/invoices", 405), ("patch", "/pos-sales", 405), ("get", "/nowhere", 404)],
)
def test_every_error_answer_is_problem_json(books, method, path, status):
    response = getattr(books.http, method)("/api/v1" + path, headers=books.headers())
    assert response.status_code == status
    assert problem(response)["status"] == status
    if status == 405:
        assert response["Allow"]


def test_zero_total_invoice_is_finalized_only_when_intended(books):
    created = books.post("/invoices", invoice({"unit_price": "0"})).json()
    refused = books.post(f"/invoices/{created['id']}/finalize")
    assert refused.status_code == 422
    assert "zero total" in problem(refused)["errors"][0]["detail"]
    assert Invoice.objects.get(pk=created["id"]).state == "draft"
    books.put(f"/invoices/{created['id']}", invoice({"unit_price": "0"}, zero_total_intended=True))
    assert books.post(f"/invoices/{created['id']}/finalize").status_code == 200


def test_sales_line_on_an_account_marked_usable_for_sales_is_accepted(books):
    Account.objects.filter(number=4000).update(usable_for_sales=True)
    response = books.post("/invoices", invoice({"account_number": 4000}))
    assert response.status_code == 201, response.content


def test_org_number_typed_with_spaces_is_stored_without_them(books):
    response = books.put("/customers/30001", {"name": "X AS", "organization_number": "923 456 783"})
    assert response.status_code == 201, response.content
    assert Customer.objects.get(number=30001).organization_number == "923456783"
