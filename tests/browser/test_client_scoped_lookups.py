"""In the browser: an invoice line's account lookup offers the invoice's client's accounts only,
though another client has an account with the same number and name."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import AccountFactory, ClientFactory, InvoiceFactory

from .conftest import log_in, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invoice_line_account_lookup_offers_the_invoices_client_only(page):
    fjord, berg = ClientFactory(name="Fjord AS"), ClientFactory(name="Berg AS")
    AccountFactory(client=fjord, number=3000, name="Salgsinntekt, avgiftspliktig")
    AccountFactory(client=berg, number=3000, name="Salgsinntekt, avgiftspliktig")
    AccountFactory(client=berg, number=3010, name="Salg Berg")
    invoice = InvoiceFactory(client=fjord)
    staff_user("kari", "Back-office staff")
    log_in(page, "kari")

    page.goto(f"/admin/accounting/invoice/{invoice.pk}/change/")
    page.locator(".inline-group .add-row a").first.click()
    page.locator(".dynamic-lines .field-account .select2-selection").last.click()

    options = page.locator(".select2-results__option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("3000 Salgsinntekt, avgiftspliktig")
