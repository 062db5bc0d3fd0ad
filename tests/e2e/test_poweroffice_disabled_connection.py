"""Nothing finalized is dropped, end to end: an invoice and its credit note finalized while the
client's PowerOffice Go connection is disabled wait in the sync log and arrive, once each, when
the connection is enabled again; re-transferring them by number posts nothing twice."""

from __future__ import annotations

import pytest

from accounting.services import invoice_credit, invoice_finalize
from integrations.connections import connection_enable
from integrations.engine import transfers_sweep
from integrations.models import Transfer, TransferStatus
from integrations.poweroffice import sandbox
from integrations.poweroffice.lookups import lookups_clear
from integrations.retransfer import records_retransfer
from tests.factories.integrations import ConnectionFactory

from .test_poweroffice_exports import make_invoice, process_until_done, transfer_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def disabled(po_sandbox, settings):
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    lookups_clear()
    yield ConnectionFactory(secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY}, enabled=False)
    lookups_clear()


def test_invoice_and_credit_note_finalized_while_disabled_arrive_once_when_enabled(
    disabled, po_sandbox
):
    invoice = invoice_finalize(invoice=make_invoice(disabled), by=None)
    credit_note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)

    transfers_sweep()  # the minute's sweep leaves them alone
    waiting = [transfer_of(invoice), transfer_of(credit_note)]
    assert [t.status_text() for t in waiting] == ["waiting: connection disabled"] * 2
    assert po_sandbox.books().vouchers == {}
    assert po_sandbox.requests("/Vouchers") == []

    assert connection_enable(connection=disabled) == 2  # commits: both run at once
    process_until_done()

    vouchers = po_sandbox.books().vouchers.values()
    assert sorted(v["CurrencyAmount"] for v in vouchers) == [-2500.0, 2500.0]
    for transfer in waiting:
        transfer.refresh_from_db()
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error


def test_retransfer_by_number_requeues_posted_and_failed_invoices_without_doubling(
    disabled, po_sandbox
):
    connection_enable(connection=disabled)
    posted = invoice_finalize(invoice=make_invoice(disabled), by=None)
    process_until_done()
    assert len(po_sandbox.books().vouchers) == 1

    report = records_retransfer(
        client=disabled.client, kind="invoices", numbers=f"{posted.number}, 999999"
    )
    process_until_done()

    assert (report.queued, report.unknown) == ([str(posted.number)], ["999999"])
    assert len(po_sandbox.books().vouchers) == 1  # recognised as posted, not sent again
    latest = Transfer.objects.filter(object_id=posted.pk, kind="invoice").order_by("-pk")[0]
    assert latest.status == TransferStatus.SKIPPED
    assert "already transferred" in latest.result["message"]
