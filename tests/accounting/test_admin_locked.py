"""Records that have been sent on are read-only in the admin, their lines too."""

import pytest
from django.urls import reverse

from accounting.services import sales_order_mark_invoiced
from tests.factories import FinalizedInvoiceFactory, InvoiceFactory, SalesOrderFactory

pytestmark = pytest.mark.django_db


def test_an_invoiced_sales_order_cannot_be_changed_or_deleted(admin_client):
    order = sales_order_mark_invoiced(order=SalesOrderFactory(lines=1))

    change = admin_client.get(reverse("admin:accounting_salesorder_change", args=[order.pk]))
    delete = admin_client.get(reverse("admin:accounting_salesorder_delete", args=[order.pk]))

    assert change.status_code == 200 and 'name="lines-0-description"' not in change.content.decode()
    assert delete.status_code == 403


def test_an_open_sales_order_keeps_its_lines_editable(admin_client):
    order = SalesOrderFactory(lines=1)

    change = admin_client.get(reverse("admin:accounting_salesorder_change", args=[order.pk]))

    assert 'name="lines-0-description"' in change.content.decode()


def test_a_finalized_invoice_cannot_be_deleted_but_a_draft_can(admin_client):
    finalized, draft = FinalizedInvoiceFactory(), InvoiceFactory(lines=1)

    assert admin_client.get(
        reverse("admin:accounting_invoice_delete", args=[finalized.pk])
    ).status_code == 403
    assert admin_client.get(
        reverse("admin:accounting_invoice_delete", args=[draft.pk])
    ).status_code == 200
