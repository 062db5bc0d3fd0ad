"""An accountant finds a failure on the dashboard, reads what to fix, and re-queues it once the
shared cause (an account without external VAT code) is fixed: the invoice then arrives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounting.services import invoice_finalize
from integrations.models import Mode, Transfer, TransferKind, TransferStatus
from integrations.poweroffice import sandbox
from tests.factories import AccountFactory, ClientFactory, InvoiceFactory, InvoiceLineFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory
from tests.factories.pos import PosBatchFactory

from .conftest import log_in, screenshot, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def failed_invoices(connection, count: int) -> list:
    """Invoices on account 3000 whose external VAT code was cleared after they were finalized
    (finalize itself refuses such a line): their transfers fail before any call."""
    from integrations.connections import connection_enable
    from integrations.models import Connection

    client = connection.client
    account = AccountFactory(client=client, external_vat_code="3")
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    invoices = []
    for _index in range(count):
        invoice = InvoiceFactory(client=client, invoice_date=dt.date(2026, 3, 2))
        InvoiceLineFactory(invoice=invoice, account=account)
        invoices.append(invoice_finalize(invoice=invoice, by=None))
    account.__class__.objects.filter(pk=account.pk).update(external_vat_code="")
    connection_enable(connection=Connection.objects.get(pk=connection.pk))  # they waited
    return invoices


def some_history(client_names=("Bakeriet Nord AS", "Lofoten Sjømat AS")) -> None:
    """Other clients' traffic, so the dashboard has something to compare with."""
    for offset, name in enumerate(client_names):
        connection = ConnectionFactory(client=ClientFactory(name=name), mode=Mode.PRODUCTION)
        now = timezone.now()
        for hours in range(12 + 6 * offset):
            TransferFactory(connection=connection, status=TransferStatus.SUCCEEDED,
                            created_at=now - dt.timedelta(hours=hours * 20))  # fmt: skip
        TransferFactory(connection=connection, status=TransferStatus.PENDING, object_id=None,
                        created_at=now - dt.timedelta(minutes=40))  # fmt: skip
        PosBatchFactory(client=connection.client, business_date=now.date() - dt.timedelta(days=1),
                        status="done", sales_total=14, sales_sent=14)  # fmt: skip


def test_accountant_requeues_failures_after_the_vat_code_is_set(page, po_sandbox, sandbox_keys):
    connection = ConnectionFactory(
        client=ClientFactory(name="Fjordkafé AS"),
        secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY},
    )
    invoices = failed_invoices(connection, 2)
    some_history()
    failed = Transfer.objects.filter(kind=TransferKind.INVOICE, status=TransferStatus.FAILED)
    assert failed.count() == 2
    staff_user("anne", "Accountants")
    log_in(page, "anne")

    dashboard = page.get_by_test_id("health-dashboard")
    expect(dashboard).to_contain_text("Fjordkafé AS")
    screenshot(page, "dashboard")
    dashboard.locator("tr[data-client='Fjordkafé AS'] [data-testid=failed-30d]").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.locator("#result_list tbody tr").first.locator("th a, td a").first.click()

    triage = page.get_by_test_id("triage")
    expect(triage).to_have_attribute("data-category", "vat_code")
    expect(triage).to_contain_text("Set the external VAT code on the account")
    expect(triage.get_by_role("link", name="Open account 3000")).to_be_visible()
    # Meanwhile back-office staff set the VAT code; the accountant re-queues both at once.
    AccountFactory(client=connection.client).__class__.objects.filter(
        client=connection.client, number=3000).update(external_vat_code="3")  # fmt: skip
    triage.get_by_role("button", name="Re-queue all 2 failed transfers with this error").click()
    expect(page.locator(".messagelist .success")).to_contain_text("2 transfers with this error")
    expect(page.get_by_test_id("triage")).to_have_count(0)
    for invoice in invoices:
        transfer = Transfer.objects.get(object_id=invoice.pk, kind=TransferKind.INVOICE)
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
