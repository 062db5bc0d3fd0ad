"""Requests racing with one Idempotency-Key create one invoice (PostgreSQL: real concurrency)."""

import threading

import pytest
from django.db import close_old_connections, connection

from accounting.models import Customer, Invoice
from tests.factories import AccountFactory, CustomerFactory

BODY = {"customer_number": 10001,
        "lines": [{"description": "Work", "account_number": 3000, "unit_price": 100}]}


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_create_one_invoice_and_get_one_answer(api):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    CustomerFactory(client=api.client, number=10001)
    AccountFactory(client=api.client, number=3000)
    barrier = threading.Barrier(4)
    answers = []

    def sender():
        try:
            barrier.wait()
            response = api.post("/invoices", BODY, key="race-1")
            answers.append((response.status_code, response.json()["id"]))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Invoice.objects.filter(client=api.client).count() == 1
    assert len(set(answers)) == 1 and answers[0][0] == 201 and len(answers) == 4


@pytest.mark.django_db(transaction=True)
def test_racing_upserts_with_one_key_create_the_customer_once_and_all_get_its_answer(api):
    """The view's own unique number (customer 10001) must not turn the race into a 500: the key
    is claimed before the view writes, so the others wait and replay the first answer."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")

    barrier = threading.Barrier(4)
    answers = []

    def sender():
        try:
            barrier.wait()
            response = api.put("/customers/10001", {"name": "Fjord AS"}, key="race-customer")
            answers.append((response.status_code, response.content))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Customer.objects.filter(client=api.client, number=10001).count() == 1
    assert [status for status, _body in answers] == [201] * 4
    assert len({body for _status, body in answers}) == 1
