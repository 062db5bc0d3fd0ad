"""Amounts as users read them: two decimals, the language's separators, the sign once."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounting.money import money_display
from tests.factories import InvoiceFactory, InvoiceLineFactory, UserFactory


@pytest.mark.parametrize(("value", "english", "bokmal"), [
    (Decimal("-15533.8500000000"), "-15,533.85", "-15\xa0533,85"),
    (Decimal("19625"), "19,625.00", "19\xa0625,00"),
    (Decimal("-0.001"), "0.00", "0,00"),
    ("7042.405", "7,042.41", "7\xa0042,41"),
    (None, "—", "—"),
])
def test_money_display_in_both_languages(value, english, bokmal):
    with translation.override("en"):
        assert money_display(value) == english
    with translation.override("nb"):
        assert money_display(value) == bokmal


def test_template_filter_is_the_same_helper():
    with translation.override("en"):
        html = Template("{% load money %}{{ amount|money }}").render(
            Context({"amount": Decimal("1234.5")}))
    assert html == "1,234.50"


@pytest.mark.django_db
def test_invoice_list_and_credit_note_totals_show_two_decimals_and_one_sign(client):
    from accounting.services import invoice_credit, invoice_finalize

    client.force_login(UserFactory(is_superuser=True))
    invoice = InvoiceFactory()
    InvoiceLineFactory(invoice=invoice, unit_price=Decimal("5633.92"))
    invoice_finalize(invoice=invoice, by=None)
    credit = invoice_credit(invoice=invoice, by=None)

    listing = client.get(reverse("admin:accounting_invoice_changelist")).content.decode()
    page = client.get(reverse("admin:accounting_invoice_change", args=[credit.pk])).content.decode()

    assert "7,042.40" in listing and "-7,042.40" in listing
    assert "7042.4" not in listing
    assert "-5,633.92 excl. VAT − 1,408.48 VAT = -7,042.40" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "make", "shown"), [
    ("admin:accounting_expense_changelist",
     lambda: __import__("tests.factories", fromlist=["x"]).ExpenseFactory(
         amount_incl_vat=Decimal("12500")), "12\xa0500,00"),
    ("admin:accounting_payment_changelist",
     lambda: __import__("tests.factories", fromlist=["x"]).PaymentFactory(
         amount=Decimal("-1250.5")), "-1\xa0250,50"),
    ("admin:accounting_product_changelist",
     lambda: __import__("tests.factories", fromlist=["x"]).ProductFactory(
         sales_price=Decimal("19625")), "19\xa0625,00"),
    ("admin:pos_possale_changelist",
     lambda: __import__("tests.factories.pos", fromlist=["x"]).PosSaleFactory(
         gratuity_amount=Decimal("1234.5")), "1\xa0234,50"),
])
def test_amount_columns_of_lists_use_the_money_helper(client, url_name, make, shown):
    client.force_login(UserFactory(is_superuser=True))
    make()
    with translation.override("nb"):
        html = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert shown in html.replace("&nbsp;", "\xa0")


@pytest.mark.django_db
def test_invoice_page_shows_line_amounts_and_amount_paid_through_the_helper(client):
    from accounting.models import Invoice

    client.force_login(UserFactory(is_superuser=True))
    invoice = InvoiceFactory()
    InvoiceLineFactory(invoice=invoice, unit_price=Decimal("15533.85"), quantity=1)
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("19625"))
    html = client.get(reverse("admin:accounting_invoice_change", args=[invoice.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "15,533.85" in html
    assert "19,625.00" in html
    assert "19625" not in html
    assert html.count("15533.85") == 1  # only the editable unit price keeps the input's form
