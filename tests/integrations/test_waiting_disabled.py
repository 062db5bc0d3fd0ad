"""Nothing finalized is dropped: a document finalized while its client's connection is disabled
gets a transfer that waits, visibly, and goes when the connection is enabled again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from accounting.services import invoice_finalize, sales_order_mark_invoiced
from integrations import engine, registry
from integrations.connections import connection_enable
from integrations.dashboard import dashboard_rows
from integrations.models import Transfer, TransferKind, TransferStatus
from integrations.poweroffice.connector import PowerOfficeConnector
from pos.batch import pos_batch_build
from tests.factories import CustomerFactory, InvoiceFactory, SalesOrderFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory
from tests.factories.pos import PosSaleFactory, PosSettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def disabled():
    """A disabled PowerOffice connection (the connector that takes every document kind)."""
    with registry.override(PowerOfficeConnector()):
        yield ConnectionFactory(enabled=False)


def finalized_invoice(connection):
    invoice = InvoiceFactory(
        client=connection.client, customer=CustomerFactory(client=connection.client), lines=1
    )
    return invoice_finalize(invoice=invoice, by=None)


class TestEnqueue:
    def test_invoice_finalized_while_disabled_gets_a_waiting_transfer(
        self, disabled, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            invoice = finalized_invoice(disabled)

        [transfer] = Transfer.objects.filter(object_id=invoice.pk, kind=TransferKind.INVOICE)
        assert (transfer.connection, transfer.status) == (disabled, TransferStatus.PENDING)
        assert callbacks == []  # nothing handed to the queue: it could not be claimed
        assert transfer.status_text() == "waiting: connection disabled"

    def test_sales_order_and_pos_batch_also_wait(self, disabled):
        order = SalesOrderFactory(client=disabled.client, lines=1)
        sales_order_mark_invoiced(order=order)
        PosSettingsFactory(client=disabled.client)
        PosSaleFactory(client=disabled.client)

        batch = pos_batch_build(client=disabled.client, business_date=timezone.localdate())

        kinds = set(Transfer.objects.filter(connection=disabled).values_list("kind", flat=True))
        assert kinds == {TransferKind.SALES_ORDER, TransferKind.POS_BATCH}
        assert batch.status == batch.Status.QUEUED

    def test_registers_are_not_queued_for_a_disabled_connection(self, disabled):
        customer = CustomerFactory(client=disabled.client)
        Transfer.objects.all().delete()
        from integrations.outbox import transfer_enqueue

        assert transfer_enqueue(obj=customer, kind=TransferKind.CUSTOMER) == []


class TestWaiting:
    def test_the_sweep_leaves_waiting_transfers_alone(self, disabled):
        invoice = finalized_invoice(disabled)
        transfer = Transfer.objects.get(object_id=invoice.pk)

        assert engine.transfers_sweep()["queued"] == 0
        assert engine.transfer_process(transfer.pk) is None  # not claimable either
        transfer.refresh_from_db()
        assert (transfer.status, transfer.queued_at, transfer.attempts) == (
            TransferStatus.PENDING, None, 0,
        )  # fmt: skip

    def test_sync_log_list_and_detail_say_why_it_waits(self, disabled, client):
        transfer = Transfer.objects.get(object_id=finalized_invoice(disabled).pk)
        client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))

        listing = client.get(reverse("admin:integrations_transfer_changelist")).content.decode()
        detail = client.get(
            reverse("admin:integrations_transfer_change", args=[transfer.pk])
        ).content.decode()

        assert "waiting: connection disabled" in listing
        assert "waiting: connection disabled" in detail

    def test_norwegian_text(self, disabled):
        from django.utils import translation

        transfer = Transfer.objects.get(object_id=finalized_invoice(disabled).pk)
        with translation.override("nb"):
            assert transfer.status_text() == "venter: tilkoblingen er deaktivert"

    def test_dashboard_counts_what_waits_for_a_disabled_connection(self, disabled):
        finalized_invoice(disabled)
        finalized_invoice(disabled)
        enabled = ConnectionFactory()
        TransferFactory(connection=enabled)

        rows = {row.client: row for row in dashboard_rows()}

        assert rows[disabled.client.name].waiting_disabled == 2
        assert rows[enabled.client.name].waiting_disabled == 0

    def test_dashboard_shows_the_waiting_count(self, disabled, client):
        finalized_invoice(disabled)
        client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))

        html = client.get(reverse("admin:index")).content.decode()

        assert "1 waiting: connection disabled" in html


class TestEnable:
    def test_enabling_releases_the_waiting_transfers_after_commit(
        self, disabled, django_capture_on_commit_callbacks
    ):
        invoice = finalized_invoice(disabled)
        later = timezone.now() + dt.timedelta(hours=1)
        Transfer.objects.filter(object_id=invoice.pk).update(next_attempt_at=later)

        with django_capture_on_commit_callbacks() as callbacks:
            released = connection_enable(connection=disabled)

        transfer = Transfer.objects.get(object_id=invoice.pk)
        assert released == 1
        assert transfer.next_attempt_at <= timezone.now()
        assert len(callbacks) == 1  # handed to the queue once committed
        disabled.refresh_from_db()
        assert disabled.enabled
        assert transfer.status_text() == "pending"

    def test_a_broken_connection_enabled_keeps_waiting_for_its_credentials(self, disabled):
        finalized_invoice(disabled)
        disabled.broken_since = timezone.now()
        disabled.save()

        connection_enable(connection=disabled)

        transfer = Transfer.objects.get(connection=disabled)
        assert transfer.status_text() == "waiting: credentials rejected"
        assert engine.transfers_sweep()["queued"] == 0

    def test_admin_save_that_enables_the_connection_releases_what_waited(
        self, connector, client, django_capture_on_commit_callbacks
    ):
        disabled = ConnectionFactory(enabled=False)  # of the TestConnector: no settings inline
        waiting = TransferFactory(connection=disabled)
        client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))
        url = reverse("admin:integrations_connection_change", args=[disabled.pk])
        form = {"mode": "sandbox", "enabled": "on", "error_recipients": "a@example.com"}

        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(url, form, follow=True)

        assert "1 waiting transfer released." in response.content.decode()
        assert len(callbacks) == 1
        waiting.refresh_from_db()
        assert waiting.status_text() == "pending"
        assert waiting.next_attempt_at <= timezone.now()

    def test_admin_save_of_an_enabled_connection_releases_nothing(
        self, connection, client, django_capture_on_commit_callbacks
    ):
        later = timezone.now() + dt.timedelta(hours=1)
        TransferFactory(connection=connection, next_attempt_at=later)
        client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))
        url = reverse("admin:integrations_connection_change", args=[connection.pk])
        form = {"mode": "sandbox", "enabled": "on", "error_recipients": "b@example.com"}

        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(url, form, follow=True)

        assert "waiting transfer" not in response.content.decode()
        assert callbacks == []
