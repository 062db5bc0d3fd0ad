"""The POS batch exporter over mocked HTTP (responses): exact bodies, contract-checked."""

import datetime as dt
import gc
import itertools
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounting.models import Customer
from integrations.models import Transfer, TransferKind
from integrations.poweroffice.auth import TOKENS
from integrations.ratelimit import reset_rate_limiters
from pos.batch import pos_batch_run
from pos.models import PosSale, PosSaleLine
from tests.factories.integrations import ConnectionFactory, ExternalLinkFactory
from tests.factories.pos import PosSaleFactory, PosSettingsFactory
from tests.integrations.poweroffice.contract_helpers import (
    assert_requests_match_contract,
    sent_json,
    sent_requests,
)

pytestmark = pytest.mark.django_db
BASE = "https://po.test"


@pytest.fixture
def connection(settings):
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": BASE}
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    TOKENS.clear()
    reset_rate_limiters()
    yield ConnectionFactory(secrets={"client_key": "0f1e2d3c-4b5a-4697-8877-66554433221a"})
    TOKENS.clear()


@pytest.fixture
def token(http):
    http.add("POST", f"{BASE}/OAuth/Token",
             json={"access_token": "t0k", "token_type": "bearer", "expires_in": 1200})


def test_linked_customer_needs_no_lookup_and_the_order_is_posted_as_mapped(
    connection, token, http
):
    pos_settings = PosSettingsFactory(client=connection.client)
    sale = PosSaleFactory(client=connection.client, number="777", lines=[("250.00", 25)])
    ExternalLinkFactory(connection=connection, external_id="4242",
                        content_type=ContentType.objects.get_for_model(Customer),
                        object_id=sale.customer.pk)
    http.add("POST", f"{BASE}/v2/SalesOrders/Complete", status=201,
             json={"Id": "0b6f8a52-1d0c-4c3e-9f4e-6f1e2a3b4c5d", "SalesOrderNo": 1})
    batch = pos_batch_run(client=connection.client, business_date=dt.date(2025, 3, 14))
    body = sent_json(http, "POST", "/SalesOrders/Complete")
    assert body["CustomerId"] == 4242
    code = connection.client.reference_code
    assert body["ExternalImportReference"] == f"LB-{code}-POS-777"
    assert body["SalesOrderLines"][0] == {
        "ProductId": pos_settings.product_id_vat_25, "Description": "POS 777: 25 % VAT",
        "Quantity": 1, "ProductUnitPrice": 250.0, "LineType": "Normal", "SortOrder": 1}
    assert not sent_requests(http, "GET", "/Customers")
    assert (batch.status, batch.sales_sent) == ("done", 1)
    assert_requests_match_contract(http)


def test_a_rejected_order_fails_that_sale_with_the_api_message(connection, token, http):
    PosSettingsFactory(client=connection.client)
    sale = PosSaleFactory(client=connection.client, number="778")
    http.add("GET", f"{BASE}/v2/Customers",
             json=[{"Id": 51, "Number": sale.customer.number, "Name": "X"}])
    http.add("POST", f"{BASE}/v2/SalesOrders/Complete", status=404,
             json={"title": "Object(s) not found", "status": 404,
                   "detail": "SalesOrderLines[0].ProductId 30 not found."})
    http.add("GET", f"{BASE}/v2/SalesOrders", status=204)  # the look-up after any refusal
    batch = pos_batch_run(client=connection.client, business_date=dt.date(2025, 3, 14))
    sale.refresh_from_db()
    assert (batch.status, sale.status) == ("failed", "failed")
    assert sale.error.startswith("POS sale 778:")
    assert "ProductId 30 not found" in sale.error
    assert_requests_match_contract(http)


def orders_created_for(connection, customer, http) -> None:
    """The customer is linked to PowerOffice Go; every sales order is created with its own id."""
    ExternalLinkFactory(connection=connection, external_id="4242",
                        content_type=ContentType.objects.get_for_model(Customer),
                        object_id=customer.pk)
    ids = itertools.count(1)
    http.add_callback(
        "POST", f"{BASE}/v2/SalesOrders/Complete",
        callback=lambda request: (201, {}, json.dumps(
            {"Id": f"0b6f8a52-1d0c-4c3e-9f4e-{next(ids):012d}", "SalesOrderNo": 1})),
    )


def test_a_long_batch_frees_each_sale_once_it_is_sent(connection, token, http, settings):
    """A batch keeps one page of sales in memory, not every sale it has sent: each prefetched
    line caches its sale, and that cycle would keep a sent sale (with its lines, customer and
    client) until Python's next full garbage collection, thousands of sales later."""
    settings.POWEROFFICE_POS_PAGE_SIZE = 2
    PosSettingsFactory(client=connection.client)
    customer = PosSaleFactory(client=connection.client, lines=[("80.00", 25)]).customer
    for _ in range(4):
        PosSaleFactory(client=connection.client, customer=customer,
                       lines=[("100.00", 25), ("57.50", 15)])
    orders_created_for(connection, customer, http)
    gc.collect()
    gc.disable()
    try:
        batch = pos_batch_run(client=connection.client, business_date=dt.date(2025, 3, 14))
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        held_by_cycles = [o for o in gc.garbage if isinstance(o, PosSale | PosSaleLine)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert (batch.status, batch.sales_sent) == ("done", 5)
    assert held_by_cycles == []
    assert_requests_match_contract(http)


def test_a_batch_sent_in_pages_sends_every_sale_once_oldest_first(
    connection, token, http, settings
):
    """Pages of two, read each after the last sale handed out: sales sold at the same moment
    (ordered by when they were recorded) are neither skipped nor sent twice at a page's edge."""
    settings.POWEROFFICE_POS_PAGE_SIZE = 2
    PosSettingsFactory(client=connection.client)
    customer = PosSaleFactory(client=connection.client, number="1",
                              sold_at=timezone.make_aware(dt.datetime(2025, 3, 14, 9))).customer
    for number, hour in [("2", 12), ("3", 12), ("4", 12), ("5", 10), ("6", 18)]:
        PosSaleFactory(client=connection.client, customer=customer, number=number,
                       sold_at=timezone.make_aware(dt.datetime(2025, 3, 14, hour)))
    orders_created_for(connection, customer, http)
    batch = pos_batch_run(client=connection.client, business_date=dt.date(2025, 3, 14))
    sent = [json.loads(request.body)["CustomerReference"]
            for request in sent_requests(http, "POST", "/SalesOrders/Complete")]
    assert sent == [f"POS Kasse 1 {n}" for n in ["1", "5", "2", "3", "4", "6"]]
    assert (batch.status, batch.sales_sent) == ("done", 6)
    transfer = Transfer.objects.get(kind=TransferKind.POS_BATCH)
    assert (transfer.result["done"], transfer.result["total"]) == (6, 6)
    assert_requests_match_contract(http)
