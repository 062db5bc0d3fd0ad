"""What a new user does first: load the demo as `make run` does, log in with the printed login
and find the dashboard green; break a customer, see the failure on the dashboard and its page,
fix the customer in the admin and see the failure resolved; switch the admin to bokmål and
see Django's own words and ours in Norwegian."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounting.demo import DEMO_ADMIN_DEFAULT_PASSWORD, demo_setup
from accounting.models import Customer
from integrations.models import Transfer, TransferKind, TransferStatus
from tests.e2e.conftest import process_until_done

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_CLIENT = "Demo Rådgivning AS"
FAILED_30D = f"tr[data-client='{DEMO_CLIENT}'][data-system='poweroffice'] [data-testid=failed-30d]"


@pytest.fixture
def demo(po_sandbox, azets_sandbox, sandbox_keys, settings, monkeypatch):
    """The demo data exactly as `manage.py demo_setup` loads it, against both sandboxes, with
    what it queued already sent."""
    from integrations.poweroffice.client import PowerOfficeClient

    monkeypatch.setattr(PowerOfficeClient, "retry_backoff", 0.01)
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    result = demo_setup()
    process_until_done()
    return result


def log_in_as_demo_admin(page, result) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", result.admin_username)
    page.fill("#id_password", DEMO_ADMIN_DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_the_demo_logs_in_to_a_green_dashboard(page, demo, po_sandbox):
    assert demo.admin_password == DEMO_ADMIN_DEFAULT_PASSWORD
    log_in_as_demo_admin(page, demo)

    dashboard = page.get_by_test_id("health-dashboard")
    row = dashboard.locator(f"tr[data-client='{DEMO_CLIENT}'][data-system='poweroffice']")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("failed-30d")).to_have_text("0")
    expect(row.locator(".failed-count")).to_have_count(0)
    expect(dashboard).to_contain_text("0 failed, 0 pending.")
    # The demo's invoices really are in the sandbox's books.
    vouchers = po_sandbox.requests("Vouchers", status=201) + po_sandbox.requests("Vouchers", 200)
    assert vouchers, "no voucher reached the PowerOffice sandbox"


def test_a_broken_customer_fails_and_is_resolved_once_fixed(page, demo):
    customer = Customer.objects.get(client=demo.client, name="Nordlys Bakeri AS")
    log_in_as_demo_admin(page, demo)
    expect(page.locator(FAILED_30D)).to_have_text("0")

    # Break: a ledger number outside PowerOffice Go's customer number series (10000–19999).
    page.goto(f"/admin/accounting/customer/{customer.pk}/change/")
    page.fill("#id_external_ledger_number", "50001")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    process_until_done()
    failed = Transfer.objects.filter(
        kind=TransferKind.CUSTOMER, object_id=customer.pk, status=TransferStatus.FAILED
    )
    assert failed.count() == 1

    page.goto("/admin/")
    expect(page.locator(FAILED_30D)).to_have_text("1")
    expect(page.locator(FAILED_30D)).to_have_class("failed-count")
    page.locator(FAILED_30D).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.locator("#result_list tbody tr").first.locator("th a, td a").first.click()
    triage = page.get_by_test_id("triage")
    expect(triage).to_have_attribute("data-category", "number_series")
    expect(triage).to_contain_text("50001")
    expect(page.get_by_test_id("resolved")).to_have_count(0)
    failure_url = page.url

    # Fix: the ledger number emptied, saved in the admin; the customer is sent again.
    page.goto(f"/admin/accounting/customer/{customer.pk}/change/")
    page.fill("#id_external_ledger_number", "")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    process_until_done()
    # Nothing of the refused change had reached PowerOffice Go: the customer is found there as
    # it is now, so the new transfer has nothing to write, and the failure is history.
    resent = Transfer.objects.filter(
        kind=TransferKind.CUSTOMER, object_id=customer.pk, pk__gt=failed.get().pk,
        connection=failed.get().connection,
    )  # fmt: skip
    assert resent.count() == 1
    assert resent.get().status in (TransferStatus.SUCCEEDED, TransferStatus.SKIPPED)

    page.goto("/admin/")
    expect(page.locator(FAILED_30D)).to_have_text("0")
    page.goto(failure_url)
    expect(page.get_by_test_id("resolved")).to_be_visible()


def test_the_admin_speaks_bokmal_after_the_switch(page, demo):
    customer = Customer.objects.get(client=demo.client, name="Fjellvent Eiendom AS")
    log_in_as_demo_admin(page, demo)
    page.goto(f"/admin/accounting/customer/{customer.pk}/change/")
    expect(page.locator("#content h1")).to_have_text("Change customer")

    page.select_option("#language-switch", "nb")  # submits itself
    expect(page.locator("#content h1")).to_have_text("Endre kunde")  # Django's own translation
    expect(page.locator("#language-switch")).to_have_value("nb")

    # A refused save names the record and the field in Norwegian.
    page.fill("#id_organization_number", "922222232")  # wrong check digit
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#content")).to_contain_text(
        "organisasjonsnummeret «922222232» er ikke 9 sifre med gyldig kontrollsiffer"
    )
    customer.refresh_from_db()
    assert customer.organization_number == "922222231"

    # The language stays for the next page: the dashboard is Norwegian too.
    page.goto("/admin/")
    expect(page.get_by_test_id("health-dashboard")).to_contain_text(
        "Overføringer: status per klient og system"
    )
    expect(page.locator("#content")).to_contain_text("Endre")
