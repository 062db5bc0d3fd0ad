"""The sync log's list page at scale: client choices from the clients table, counts that stop
(or estimate) instead of counting a million rows, search through indexes, lean rows."""

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.admin_synclog import SyncLogPaginator, transfers_matching
from integrations.models import Transfer, TransferStatus
from tests.factories.accounting import ClientFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:integrations_transfer_changelist"
on_postgresql = pytest.mark.skipif(db.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def reader(client):
    client.force_login(User.objects.create_superuser("reader", "r@example.com", "pw"))
    return client


def transfers(count, connection=None, **fields):
    connection = connection or ConnectionFactory()
    return [TransferFactory(connection=connection, object_id=n, object_number=str(10000 + n),
                            **fields) for n in range(count)]  # fmt: skip


class TestClientFilter:
    def test_lists_every_client_with_a_connection_even_without_transfers(self, reader):
        quiet = ConnectionFactory()  # connected, nothing sent yet
        busy = transfers(1)[0].client
        ClientFactory(name="Not connected AS")
        response = reader.get(reverse(CHANGELIST))
        [client_filter] = [f for f in response.context["cl"].filter_specs
                           if f.title == "client"]  # fmt: skip
        assert sorted(client_filter.lookup_choices) == sorted(
            [(quiet.client_id, quiet.client.name), (busy.pk, busy.name)]
        )

    def test_choosing_a_client_lists_only_its_transfers(self, reader):
        mine, theirs = transfers(2), transfers(1)
        response = reader.get(reverse(CHANGELIST), {"client__id__exact": mine[0].client_id})
        assert set(response.context["cl"].result_list) == set(mine)
        assert theirs[0] not in response.context["cl"].result_list


class TestCounting:
    def test_a_filtered_list_is_counted_only_up_to_the_limit(self):
        transfers(7, status=TransferStatus.FAILED)
        paginator = SyncLogPaginator(Transfer.objects.filter(status="failed"), 2)
        paginator.count_limit = 5
        assert (paginator.count, paginator.count_label) == (5, "more than 5")
        assert paginator.num_pages == 2  # pages end where counting ends

    def test_a_short_list_is_counted_exactly(self):
        transfers(3, status=TransferStatus.FAILED)
        paginator = SyncLogPaginator(Transfer.objects.filter(status="failed"), 2)
        assert (paginator.count, paginator.count_label, paginator.num_pages) == (3, "3", 2)

    @on_postgresql
    def test_the_whole_log_is_estimated_from_the_statistics(self):
        transfers(8)
        with db.cursor() as cursor:
            cursor.execute("ANALYZE integrations_transfer")
        paginator = SyncLogPaginator(Transfer.objects.all(), 2)
        paginator.count_limit = 5
        assert (paginator.count, paginator.count_label) == (8, "about 8")

    def test_the_page_says_when_it_stopped_counting(self, reader, monkeypatch):
        monkeypatch.setattr(SyncLogPaginator, "count_limit", 3)
        transfers(5, status=TransferStatus.FAILED)
        response = reader.get(reverse(CHANGELIST), {"status__exact": "failed"})
        assert b"more than 3 transfers" in response.content

    def test_a_search_is_counted_less_far_than_a_filter(self, reader, monkeypatch):
        from integrations import admin_synclog

        monkeypatch.setattr(admin_synclog, "SEARCH_COUNT_LIMIT", 2)
        transfers(4, status=TransferStatus.FAILED, object_repr="Invoice · Kari Nordmann")
        response = reader.get(reverse(CHANGELIST), {"q": "Nordmann"})
        assert b"more than 2 found" in response.content
        response = reader.get(reverse(CHANGELIST), {"status__exact": "failed"})
        assert b"4 transfers" in response.content

    def test_all_can_be_selected_across_pages_only_when_counted_exactly(self, reader, monkeypatch):
        transfers(4, status=TransferStatus.FAILED)
        monkeypatch.setattr("integrations.admin.TransferAdmin.list_per_page", 2)
        url = reverse(CHANGELIST) + "?status__exact=failed"
        assert b"Select all 4 transfers" in reader.get(url).content
        monkeypatch.setattr(SyncLogPaginator, "count_limit", 3)
        page = reader.get(url).content
        assert b"more than 3 transfers" in page
        assert b"Select all 3" not in page and b'class="question' not in page

    def test_the_page_costs_the_same_number_of_queries_with_more_transfers(self, reader):
        def queries():
            with CaptureQueriesContext(db) as captured:
                reader.get(reverse(CHANGELIST))
            return len(captured)

        transfers(3, status=TransferStatus.FAILED, last_error="HTTP 400")
        reader.get(reverse(CHANGELIST))  # sessions, content types: cached from here on
        few = queries()
        for n in range(40):  # more transfers, clients and error groups
            TransferFactory(connection=ConnectionFactory(), object_id=1000 + n,
                            status=TransferStatus.FAILED, last_error=f"HTTP 4{n:02d}")  # fmt: skip
        assert queries() == few <= 8


class TestSearch:
    @pytest.fixture
    def log(self):
        connection = ConnectionFactory()
        return {
            "invoice": TransferFactory(connection=connection, object_number="100123", object_id=1,
                                       object_repr="Invoice 100123 · Kari Nordmann"),
            "longer number": TransferFactory(connection=connection, object_number="1001230",
                                             object_id=2,
                                             object_repr="Invoice 1001230 · Ola Hansen"),
            "customer": TransferFactory(connection=connection, object_number="20001", object_id=3,
                                        external_id="4711", object_repr="Customer Kari Berg"),
        }  # fmt: skip

    def search(self, term):
        return set(transfers_matching(Transfer.objects.all(), term))

    def test_our_number_matches_exactly(self, log):
        assert self.search("100123") == {log["invoice"]}

    def test_the_external_id_matches_exactly(self, log):
        assert self.search(" 4711 ") == {log["customer"]}

    def test_words_match_the_description_in_any_case(self, log):
        assert self.search("kari") == {log["invoice"], log["customer"]}
        assert self.search("Kari Nordmann") == {log["invoice"]}

    def test_short_words_match_numbers_only(self, log):
        assert self.search("Ka") == set()

    def test_the_search_box_finds_a_number_in_the_sync_log(self, reader, log):
        response = reader.get(reverse(CHANGELIST), {"q": "100123"})
        assert list(response.context["cl"].result_list) == [log["invoice"]]
        assert b"1 found" in response.content

    @on_postgresql
    def test_words_are_searched_through_a_trigram_index(self):
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'integ_transfer_repr_trgm'"
            )
            [(definition,)] = cursor.fetchall()
        assert "gin_trgm_ops" in definition and "upper" in definition


class TestRows:
    def test_rows_can_be_selected_for_an_action_and_read_as_labels(self, reader):
        [transfer] = transfers(1, status=TransferStatus.FAILED, last_error="HTTP 400")
        response = reader.get(reverse(CHANGELIST))
        html = response.content.decode()
        assert (f'<input type="checkbox" name="_selected_action" value="{transfer.pk}" '
                'class="action-select"') in html  # fmt: skip
        assert ">failed</td>" in html and ">customer</td>" in html
        assert "error group" not in html
