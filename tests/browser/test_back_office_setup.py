"""Back-office staff set a client up in the browser: create it (a wrong organization number is
refused and kept), find the standard VAT codes, import the account plan from a semicolon CSV,
enter the client key, test the connection against the sandbox, map the POS
products, work through the checklist, finalize an invoice and watch it succeed in the sync log."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounting.models import Account, Client, Customer
from integrations.models import Transfer, TransferKind, TransferStatus
from integrations.poweroffice import sandbox
from tests.factories import AccountFactory, CustomerFactory, InvoiceFactory, InvoiceLineFactory

from .conftest import log_in, screenshot, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sandbox_products(po_sandbox) -> dict:
    books = po_sandbox.books()
    ids = {}
    for key in (0, 12, 15, 25, "gratuity", "fee"):
        row = books.register("Products").create({"Code": f"POS-{key}", "Name": f"Invoice {key}"})
        ids[key] = row["Id"]
    return ids


def create_client(page) -> Client:
    page.goto("/admin/accounting/client/add/")
    page.fill("#id_name", "Fjordkafé AS")
    page.fill("#id_organization_number", "12345")
    page.click("input[name=_continue]")
    # Refused with the field named, and what was typed is still there.
    expect(page.locator(".field-organization_number .errorlist")).to_contain_text("9 digits")
    expect(page.locator("#id_organization_number")).to_have_value("12345")
    page.fill("#id_organization_number", "987654325")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    return Client.objects.get(organization_number="987654325")


def add_connection(page, client: Client) -> None:
    page.goto(f"/admin/accounting/client/{client.pk}/checklist/")
    expect(page.locator("[data-step=connection]")).to_have_attribute("data-state", "missing")
    page.locator("[data-step=connection] a.button").click()
    expect(page.locator("#id_client")).to_have_value(str(client.pk))
    page.select_option("#id_system", "poweroffice")
    page.select_option("#id_mode", "sandbox")
    page.check("#id_enabled")
    page.fill("#id_secret__client_key", sandbox.DEFAULT_CLIENT_KEY)
    page.fill("#id_error_recipients", "regnskap@fjordkafe.example")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    # The key is never shown again.
    assert sandbox.DEFAULT_CLIENT_KEY not in page.content()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Connection test passed")


def map_pos_products(page, client: Client, ids: dict) -> None:
    page.goto(f"/admin/pos/possettings/add/?client={client.pk}")
    page.check("#id_enabled")
    page.fill("#id_enabled_since", "2026-03-01")
    for rate in (0, 12, 15, 25):
        page.fill(f"#id_product_id_vat_{rate}", str(ids[rate]))
    page.fill("#id_gratuity_product_id", str(ids["gratuity"]))
    page.fill("#id_invoice_fee_product_id", str(ids["fee"]))
    page.fill("#id_invoice_payment_account", "1920")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".messagelist .success")).to_contain_text("6 configured product ids")


def reconcile(page, client: Client) -> None:
    """The first customer is there; "Reconcile now" compares the account plan and VAT codes
    with PowerOffice Go (the checklist's account-plan step needs one comparison)."""
    CustomerFactory(client=client, number=10100)
    page.goto(f"/admin/accounting/client/{client.pk}/change/")
    page.get_by_role("button", name="Reconcile now").click()
    page.wait_for_selector(".messagelist .success")


def finish_checklist(page, client: Client) -> None:
    page.goto(f"/admin/accounting/client/{client.pk}/checklist/")
    if page.locator("[data-step=schedules][data-state=missing]").count():
        page.get_by_role("button", name="Create the missing schedules").click()
        page.wait_for_selector(".messagelist .success")
    for step in ("connection_poweroffice", "vat_codes", "error_recipients", "pos_products",
                 "customer_numbers", "schedules", "account_plan"):
        expect(page.locator(f"[data-step={step}]")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("checklist-summary")).to_contain_text("7 of 7 steps done")
    screenshot(page, "checklist")


ACCOUNT_PLAN = (
    "client;number;name;external_vat_code;vat_code;active\n"
    "{org};3000;Salgsinntekt, avgiftspliktig;3;3;ja\n"
    "{org};3100;Salgsinntekt, avgiftsfri;;5;ja\n"
    "{org};4000;Varekjøp;1;;ja\n"
)


def import_account_plan(page, client: Client) -> None:
    """A new client already has the standard VAT codes; its account plan comes from a
    semicolon CSV as Norwegian Excel saves it."""
    page.goto(f"/admin/accounting/vatcode/?client__id__exact={client.pk}")
    expect(page.locator("#result_list tbody tr")).to_have_count(30)
    expect(page.locator("#result_list")).to_contain_text("Utgående mva, alminnelig sats")
    page.goto("/admin/accounting/account/import/")
    expect(page.locator("table.import-columns")).to_contain_text(
        "The client's organization number (9 digits).")
    page.select_option("#id_format", label="csv")
    page.set_input_files("#id_import_file", files=[{
        "name": "kontoplan.csv", "mimeType": "text/csv",
        "buffer": ACCOUNT_PLAN.format(org=client.organization_number).encode("cp1252"),
    }])  # fmt: skip
    page.click("input[type=submit]")
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")
    page.goto(f"/admin/accounting/account/?client__id__exact={client.pk}")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    accounts = Account.objects.filter(client=client)
    assert dict(accounts.values_list("number", "external_vat_code")) == {
        3000: "3", 3100: "5", 4000: "1"}


def finalize_invoice(page, client: Client) -> None:
    customer = Customer.objects.get(client=client, number=10100)
    invoice = InvoiceFactory(client=client, customer=customer, invoice_date=dt.date(2026, 3, 2))
    InvoiceLineFactory(invoice=invoice, account=AccountFactory(client=client))
    page.goto(f"/admin/accounting/invoice/?client__id__exact={client.pk}")
    page.locator(f"input.action-select[value='{invoice.pk}']").check()
    page.select_option("select[name=action]", "finalize_selected")
    page.click("button[name=index]")
    expect(page.locator(".messagelist .success")).to_contain_text("finalized")
    page.goto(f"/admin/integrations/transfer/?client__id__exact={client.pk}&kind__exact=invoice")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("succeeded")
    transfer = Transfer.objects.get(client=client, kind=TransferKind.INVOICE)
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.external_id


def test_back_office_sets_up_a_client_and_its_first_invoice_arrives(
    page, po_sandbox, sandbox_keys
):
    staff_user("berit", "Back-office staff")
    log_in(page, "berit")
    client = create_client(page)
    add_connection(page, client)
    map_pos_products(page, client, sandbox_products(po_sandbox))
    import_account_plan(page, client)
    reconcile(page, client)
    finish_checklist(page, client)
    finalize_invoice(page, client)
    posted = [r for r in po_sandbox.requests("Voucher") if r["method"] == "POST"]
    assert posted and all(r["status"] < 300 for r in posted)
