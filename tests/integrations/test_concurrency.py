"""Two workers never process the same transfer (needs real row locks: PostgreSQL only)."""

import threading

import pytest
from django.db import close_old_connections, connection

from integrations import engine
from integrations.models import TransferStatus
from tests.factories.integrations import TransferFactory

from .testconnector import BASE_URL


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_transfer_run_it_once(connection_obj, http):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the claim there is a conditional UPDATE")
    http.post(f"{BASE_URL}/records", json={"id": 1}, status=201)
    transfer = TransferFactory(connection=connection_obj)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(engine.transfer_process(transfer.pk))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=str) == [None, None, None, TransferStatus.SUCCEEDED]
    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts) == (TransferStatus.SUCCEEDED, 1)
    assert transfer.attempt_set.count() == 1
    # one look-up by reference (the connector fixture's, since exports match before creating),
    # then the one create: no second worker sent anything
    assert [call.request.method for call in http.calls] == ["GET", "POST"]


@pytest.fixture
def connection_obj(connector, transactional_db):
    from tests.factories.integrations import ConnectionFactory

    return ConnectionFactory()
