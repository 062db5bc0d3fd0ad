"""In the browser: a new user finalizes a draft invoice from its own page, and the lines table
stays inside the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounting.models import Invoice
from tests.factories import InvoiceFactory

from .conftest import log_in, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finalize_from_the_invoice_page(page):
    invoice = InvoiceFactory(lines=2)
    staff_user("kari", "Back-office staff")
    log_in(page, "kari")

    page.goto(f"/admin/accounting/invoice/{invoice.pk}/change/")
    # The lines table scrolls inside its box: the page itself is not wider than the window.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    window_width = page.evaluate("window.innerWidth")
    assert page_width <= window_width
    page.get_by_role("button", name="Finalize invoice").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "1 invoice finalized and queued for transfer."
    )
    expect(page.get_by_role("button", name="Create credit note")).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.FINALIZED
