"""Idempotency-Key: the same key and body replays the first answer; another body is a 409."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounting.models import Customer, Invoice
from api.idempotency import idempotency_records_purge
from api.models import IdempotencyRecord
from integrations.models import Transfer
from tests.factories import AccountFactory, CustomerFactory

from .conftest import problem

pytestmark = pytest.mark.django_db

BODY = {"customer_number": 10001,
        "lines": [{"description": "Work", "account_number": 3000, "unit_price": 100}]}


@pytest.fixture
def books(api):
    CustomerFactory(client=api.client, number=10001)
    AccountFactory(client=api.client, number=3000)
    return api


def test_replayed_key_returns_the_first_response_and_creates_nothing_twice(books):
    first = books.post("/invoices", BODY, key="order-1")
    again = books.post("/invoices", BODY, key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.filter(client=books.client).count() == 1


def test_same_json_in_another_key_order_counts_as_the_same_request(books):
    books.post("/invoices", BODY, key="order-2")
    reordered = '{"lines": [{"unit_price": 100, "account_number": 3000, "description": "Work"}],' \
                ' "customer_number": 10001}'
    again = books.post("/invoices", key="order-2", raw=reordered)
    assert again.status_code == 201
    assert Invoice.objects.filter(client=books.client).count() == 1


def test_same_key_with_another_body_is_refused_with_409(books):
    books.post("/invoices", BODY, key="order-3")
    response = books.post("/invoices", {**BODY, "your_reference": "other"}, key="order-3")
    assert response.status_code == 409
    assert problem(response)["type"].endswith("idempotency-key-reused")
    assert Invoice.objects.filter(client=books.client).count() == 1


def test_same_key_on_another_path_is_refused(books):
    books.post("/invoices", BODY, key="order-4")
    assert books.put("/customers/9", {"name": "Nine"}, key="order-4").status_code == 409
    assert not Customer.objects.filter(client=books.client, number=9).exists()


def test_replayed_finalize_queues_one_transfer(books, connected):
    invoice_id = books.post("/invoices", BODY).json()["id"]
    first = books.post(f"/invoices/{invoice_id}/finalize", key="fin-1")
    again = books.post(f"/invoices/{invoice_id}/finalize", key="fin-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["number"] == first.json()["number"]
    assert Transfer.objects.filter(object_id=invoice_id, kind="invoice").count() == 1


def test_a_refused_request_is_not_stored_so_the_key_can_be_retried(books):
    bad = books.put("/customers/55", {"name": "X", "country_code": "ZZ"}, key="cust-55")
    assert bad.status_code == 422
    good = books.put("/customers/55", {"name": "X", "country_code": "SE"}, key="cust-55")
    assert good.status_code == 201
    assert Customer.objects.get(client=books.client, number=55).country_code == "SE"


def test_keys_are_per_client(books, other_api):
    books.put("/customers/1", {"name": "Ours"}, key="shared-key")
    response = other_api.put("/customers/1", {"name": "Theirs"}, key="shared-key")
    assert response.status_code == 201
    assert Customer.objects.get(client=other_api.client, number=1).name == "Theirs"


def test_an_expired_key_is_forgotten_and_purged(books, settings):
    settings.API_IDEMPOTENCY_TTL_HOURS = 24
    books.put("/customers/2", {"name": "First"}, key="old-key")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = books.put("/customers/2", {"name": "Second"}, key="old-key")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_overlong_key_is_a_400_problem(books):
    response = books.put("/customers/3", {"name": "X"}, key="k" * 300)
    assert response.status_code == 400
    assert problem(response)["type"].endswith("invalid-idempotency-key")
