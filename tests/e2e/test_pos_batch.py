"""Nightly POS batches against the PowerOffice sandbox over HTTP: every sale becomes one sales
order exactly once, also with a missing customer, a missing product id, a crash halfway, a
lost response and a re-run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from integrations.engine import transfers_process_due
from integrations.models import Transfer, TransferKind, TransferStatus
from integrations.poweroffice import pos as po_pos
from integrations.poweroffice import sandbox
from integrations.poweroffice.pos import pos_sale_reference, pos_settings_test
from pos.batch import pos_batch_run
from pos.models import PosSale
from tests.factories import CustomerFactory
from tests.factories.integrations import ConnectionFactory
from tests.factories.pos import PosSaleFactory, PosSettingsFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

NIGHT = dt.date(2025, 3, 14)


@pytest.fixture
def world(po_sandbox, settings):
    """A client with a sandbox connection, six products and two customers in PowerOffice Go."""
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    books = po_sandbox.books()
    ids = {}
    for key, name in [(0, "0 %"), (12, "12 %"), (15, "15 %"), (25, "25 %"),
                      ("gratuity", "Gratuity"), ("fee", "Invoice fee")]:
        row = books.register("Products").create({"Code": f"POS-{key}", "Name": name,
                                                 "UnitPrice": 39.0 if key == "fee" else 0.0})
        ids[key] = row["Id"]
    connection = ConnectionFactory(secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY})
    client = connection.client
    pos_settings = PosSettingsFactory(
        client=client, product_id_vat_0=ids[0], product_id_vat_12=ids[12],
        product_id_vat_15=ids[15], product_id_vat_25=ids[25],
        gratuity_product_id=ids["gratuity"], invoice_fee_product_id=ids["fee"],
    )
    customers = [CustomerFactory(client=client) for _ in range(2)]
    for customer in customers:
        books.create_contact("Customers", {"Name": customer.name, "Number": customer.number})
    return type("World", (), dict(books=books, client=client, settings=pos_settings,
                                  customers=customers, products=ids, sandbox=po_sandbox))


def sales(world, count, **kwargs):
    return [PosSaleFactory(client=world.client, customer=world.customers[i % 2], **kwargs)
            for i in range(count)]


def reference_of(sale):
    """The sale's reference as stored (it is fixed when the sale is first batched)."""
    sale.refresh_from_db()
    return pos_sale_reference(sale)


def orders_by_reference(world):
    refs = [o["ExternalImportReference"] for o in world.books.sales_orders.values()]
    return {ref: refs.count(ref) for ref in refs}


def test_a_batch_sends_each_sale_once_and_marks_it_sent(world):
    recorded = sales(world, 3, gratuity_amount=Decimal("20.00"))
    batch = pos_batch_run(client=world.client, business_date=NIGHT)
    assert (batch.status, batch.sales_total, batch.sales_sent) == ("done", 3, 3)
    assert orders_by_reference(world) == {reference_of(s): 1 for s in recorded}
    for sale in PosSale.objects.filter(pk__in=[s.pk for s in recorded]):
        assert sale.status == "sent"
        assert world.books.sales_orders[sale.external_id]["SalesOrderStatus"] == "Draft"
    transfer = Transfer.objects.get(kind=TransferKind.POS_BATCH)
    assert transfer.status == TransferStatus.SUCCEEDED
    assert (transfer.result["done"], transfer.result["total"]) == (3, 3)
    assert transfer.result["created"] == 3


def test_running_the_same_night_again_sends_nothing_twice(world):
    sales(world, 2)
    pos_batch_run(client=world.client, business_date=NIGHT)
    posts = len(world.sandbox.requests("/SalesOrders/Complete"))
    again = pos_batch_run(client=world.client, business_date=NIGHT)
    assert again.status == "done"
    assert len(world.sandbox.requests("/SalesOrders/Complete")) == posts == 2
    assert Transfer.objects.filter(kind=TransferKind.POS_BATCH).count() == 1


def test_a_missing_customer_fails_alone_and_is_emailed(world):
    stranger = CustomerFactory(client=world.client, name="Ukjent Kunde AS")
    good = sales(world, 2)
    bad = PosSaleFactory(client=world.client, customer=stranger, number="9001")
    batch = pos_batch_run(client=world.client, business_date=NIGHT)
    assert (batch.status, batch.sales_sent, batch.sales_failed) == ("failed", 2, 1)
    bad.refresh_from_db()
    assert bad.status == "failed"
    assert "POS sale 9001: invoice customer" in bad.error
    assert "does not exist in PowerOffice Go" in bad.error
    assert set(orders_by_reference(world)) == {reference_of(s) for s in good}
    assert len(mail.outbox) == 1 and "POS sale 9001" in mail.outbox[0].body


def test_a_vat_rate_without_product_id_fails_alone(world):
    world.settings.product_id_vat_12 = None
    world.settings.save()
    good = sales(world, 1)
    bad = PosSaleFactory(client=world.client, customer=world.customers[0], number="1212",
                         lines=[("112.00", 12)])
    batch = pos_batch_run(client=world.client, business_date=NIGHT)
    assert (batch.sales_sent, batch.sales_failed) == (1, 1)
    bad.refresh_from_db()
    assert bad.error.startswith("POS sale 1212: no PowerOffice Go product id for 12 % VAT")
    assert set(orders_by_reference(world)) == {reference_of(good[0])}


def test_a_fixed_failure_is_sent_by_the_next_run(world):
    world.settings.product_id_vat_12 = None
    world.settings.save()
    sale = PosSaleFactory(client=world.client, customer=world.customers[0], lines=[("112", 12)])
    pos_batch_run(client=world.client, business_date=NIGHT)
    world.settings.product_id_vat_12 = world.products[12]
    world.settings.save()
    batch = pos_batch_run(client=world.client, business_date=NIGHT + dt.timedelta(days=1))
    sale.refresh_from_db()
    assert (sale.status, sale.batch_id, batch.sales_sent) == ("sent", batch.pk, 1)


def test_a_crash_halfway_then_a_rerun_sends_every_sale_exactly_once(world, monkeypatch):
    recorded = sales(world, 5)
    real_mark_sent, calls = po_pos.pos_sale_mark_sent, []

    def crash_on_third(**kwargs):
        calls.append(kwargs["sale"].number)
        if len(calls) == 3:
            raise RuntimeError("worker killed")  # after PowerOffice stored the third order
        return real_mark_sent(**kwargs)

    monkeypatch.setattr(po_pos, "pos_sale_mark_sent", crash_on_third)
    first = pos_batch_run(client=world.client, business_date=NIGHT)
    assert first.status == "queued"  # never finished
    assert PosSale.objects.filter(status="sent").count() == 2
    assert Transfer.objects.get(kind=TransferKind.POS_BATCH).status == TransferStatus.FAILED
    assert len(world.books.sales_orders) == 3
    monkeypatch.setattr(po_pos, "pos_sale_mark_sent", real_mark_sent)
    second = pos_batch_run(client=world.client, business_date=NIGHT)
    assert (second.status, second.sales_sent) == ("done", 5)
    for sale in recorded:
        sale.refresh_from_db()
    assert orders_by_reference(world) == {reference_of(s): 1 for s in recorded}
    third_sale = PosSale.objects.get(pk=recorded[2].pk)
    assert world.books.sales_orders[third_sale.external_id]["ExternalImportReference"] == (
        reference_of(third_sale))


def test_lost_responses_are_recovered_not_doubled(world):
    recorded = sales(world, 6)
    world.sandbox.control("faults", {"drop_rate": 0.5, "seed": 3, "paths": ["/SalesOrders/"]})
    batch = pos_batch_run(client=world.client, business_date=NIGHT)
    transfer = Transfer.objects.get(kind=TransferKind.POS_BATCH)
    assert transfer.status == TransferStatus.PENDING  # answers lost: looked up next time
    assert "looked up before it is sent again" in transfer.last_error
    world.sandbox.control("faults", {"drop_rate": 0.0, "paths": []})
    Transfer.objects.filter(pk=transfer.pk).update(next_attempt_at=timezone.now())
    transfers_process_due()
    batch.refresh_from_db()
    assert batch.sales_sent == 6
    assert world.sandbox.requests("/SalesOrders", status=200)  # the look-ups
    assert orders_by_reference(world) == {reference_of(s): 1 for s in recorded}


def test_send_to_customer_invoices_each_order(world):
    world.settings.send_to_customer = True
    world.settings.save()
    (sale,) = sales(world, 1)
    pos_batch_run(client=world.client, business_date=NIGHT)
    sale.refresh_from_db()
    order = world.books.sales_orders[sale.external_id]
    assert order["SalesOrderStatus"] == "Confirmed"
    assert order["_invoice"]["InvoiceNo"]


def test_test_connection_names_each_product_id_missing_in_poweroffice(world):
    world.settings.product_id_vat_15 = 987654
    world.settings.save()
    ok, message = pos_settings_test(pos_settings=world.settings)
    assert not ok
    lines = message.splitlines()
    # The reason leads; one line per product; the connection's report comes last.
    assert lines[0] == (
        "1 product id does not exist in PowerOffice Go; pick it from the product list:"
    )
    assert "product id, 15 % VAT: 987654 does not exist in PowerOffice Go." in lines
    assert len(lines) == 1 + 6 + 1
    assert lines[-1].startswith("Connection: Connected to")


def test_test_connection_passes_with_every_product_present(world):
    ok, message = pos_settings_test(pos_settings=world.settings)
    assert ok, message
    lines = message.splitlines()
    assert lines[0] == "All 6 configured product ids exist in PowerOffice Go:"
    product_25 = world.settings.product_id_vat_25
    line_25 = next(line for line in lines if line.startswith("product id, 25 % VAT:"))
    assert line_25.startswith(f"product id, 25 % VAT: {product_25} = ")
    assert "(sales account " in line_25



@pytest.mark.django_db(transaction=True)
def test_sales_in_flight_at_once_and_in_pages_are_each_sent_once(world, settings):
    """PostgreSQL: three lanes send a batch's sales concurrently, a page of four at a time; a
    sale that cannot be sent fails alone. (SQLite always uses one lane.)"""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite sends one sale at a time")
    settings.POWEROFFICE_POS_CONCURRENCY, settings.POWEROFFICE_POS_PAGE_SIZE = 3, 4
    recorded = sales(world, 10)
    stranger = PosSaleFactory(client=world.client, customer=CustomerFactory(client=world.client))
    batch = pos_batch_run(client=world.client, business_date=NIGHT)
    assert (batch.sales_total, batch.sales_sent) == (11, 10)
    assert orders_by_reference(world) == {reference_of(s): 1 for s in recorded}
    stranger.refresh_from_db()
    assert stranger.status == "failed" and "does not exist in PowerOffice Go" in stranger.error
