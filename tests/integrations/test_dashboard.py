"""The health dashboard on the admin index: counts per client and system, links, one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.dashboard import dashboard_rows
from integrations.models import System, TransferStatus
from tests.factories import ClientFactory, UserFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory
from tests.factories.pos import PosBatchFactory

pytestmark = pytest.mark.django_db


def history():
    now = timezone.now()
    po = ConnectionFactory(client=ClientFactory(name="Alfa AS"))
    azets = ConnectionFactory(client=po.client, system=System.AZETS)
    for status, hours in [("succeeded", 1), ("succeeded", 100), ("failed", 2), ("running", 1)]:
        TransferFactory(connection=po, status=status, created_at=now - dt.timedelta(hours=hours),
                        object_id=None)  # fmt: skip
    TransferFactory(connection=azets, status="failed", created_at=now - dt.timedelta(days=40))
    TransferFactory(connection=azets, status="pending", created_at=now - dt.timedelta(days=40),
                    object_id=None)  # fmt: skip
    PosBatchFactory(client=po.client, business_date=now.date(), status="done")
    return po, azets


def counts(row, window):
    bar = {"day": row.bars[0], "month": row.bars[1]}[window]
    return {segment.state: segment.count for segment in bar.segments}


def test_rows_count_per_client_and_system_over_24_hours_and_30_days():
    history()
    rows = {row.system: row for row in dashboard_rows()}
    po, azets = rows[System.POWEROFFICE], rows[System.AZETS]
    assert counts(po, "day") == {"succeeded": 1, "failed": 1, "pending": 1}
    assert counts(po, "month") == {"succeeded": 2, "failed": 1, "pending": 1}
    # Old pending transfers are listed (oldest pending), old failures are not counted.
    assert counts(azets, "month") == {"succeeded": 0, "failed": 0, "pending": 0}
    assert azets.oldest_pending is not None and po.pos_batch.status == "done"


def test_links_go_to_the_filtered_sync_log():
    po, _azets = history()
    row = next(r for r in dashboard_rows() if r.system == System.POWEROFFICE)
    failed = next(s for s in row.bars[0].segments if s.state == "failed")
    assert f"client__id__exact={po.client_id}" in failed.url
    assert "status__exact=failed" in failed.url and "connection__system__exact=poweroffice" in (
        failed.url)


def test_failed_link_lists_exactly_the_counted_transfers(client):
    history()
    client.force_login(UserFactory(is_superuser=True))
    row = next(r for r in dashboard_rows() if r.system == System.POWEROFFICE)
    pending = next(s for s in row.bars[1].segments if s.state == "pending")
    response = client.get(pending.url)
    assert response.status_code == 200
    assert [t.status for t in response.context["cl"].result_list] == [TransferStatus.RUNNING]


def test_rows_take_a_fixed_number_of_queries_however_many_clients():
    history()
    for _index in range(5):
        TransferFactory(status="failed")
    with CaptureQueriesContext(db) as queries:
        dashboard_rows()
    # the month's counts, the oldest waiting transfers, the connections' names, the latest POS
    # batches
    assert len(queries) == 4


def test_index_shows_the_dashboard_to_accountants_but_not_without_log_permission(client):
    history()
    client.force_login(UserFactory(is_superuser=True))
    assert b'data-testid="health-dashboard"' in client.get(reverse("admin:index")).content
    client.force_login(UserFactory())  # staff without any permission
    assert b'data-testid="health-dashboard"' not in client.get(reverse("admin:index")).content
