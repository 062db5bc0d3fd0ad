"""Tokens and reference data read once per connection for every worker (the shared cache), and
connections reused by every session of a process (issue 19)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from integrations import errors
from integrations.http import shared_adapter
from integrations.poweroffice import lookups as lookups_module
from integrations.poweroffice.auth import TokenCache
from integrations.poweroffice.client import PowerOfficeClient
from integrations.poweroffice.lookups import Lookups
from tests.factories.integrations import ConnectionFactory

from .conftest import API, APPLICATION_KEY, CLIENT_KEY, SUBSCRIPTION_KEY

pytestmark = pytest.mark.django_db
TOKEN_VALUE = "eyJhbGciOiJSUzI1NiJ9.sandbox-token-1"


def token_calls(http):
    return [c for c in http.calls if c.request.url.endswith("/OAuth/Token")]


def another_worker(client, **kwargs) -> PowerOfficeClient:
    """The same connection's client in another process: its own, empty token cache."""
    return PowerOfficeClient(
        application_key=APPLICATION_KEY, client_key=CLIENT_KEY,
        subscription_key=SUBSCRIPTION_KEY, mode="demo", token_cache=TokenCache(),
        rate_limiter=client.rate_limiter, sleep=client.sleep, **kwargs,
    )  # fmt: skip


class TestTokens:
    def test_a_token_is_requested_once_for_every_worker(self, client, http, token):
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        client.get_lock_date()
        another_worker(client).get_lock_date()
        another_worker(client).get_lock_date()
        assert len(token_calls(http)) == 1

    def test_the_shared_copy_is_encrypted(self, client, http, token):
        client.authenticate()
        stored = cache.get(f"poweroffice:token:{client._token_key}")
        assert stored is not None
        assert TOKEN_VALUE not in repr(stored)

    def test_a_401_drops_the_token_for_every_worker(self, client, http, token):
        client.authenticate()
        worker = another_worker(client)
        http.add("GET", f"{API}/LockDateSettings", status=401, json={"message": "expired"})
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        worker.get_lock_date()  # 401, renewed, repeated
        assert len(token_calls(http)) == 2
        assert cache.get(f"poweroffice:token:{client._token_key}") is not None  # the new one

    def test_a_token_past_its_time_is_renewed(self, client, http, token, clock):
        tokens = TokenCache(clock=clock)
        tokens.get("k", lambda: ("first", 1200))
        clock.now += 1200
        assert TokenCache(clock=clock).get("k", lambda: ("second", 1200)) == "second"


class TestReferenceData:
    @pytest.fixture
    def connection(self):
        return ConnectionFactory()

    def vat_codes(self, http):
        return http.add("GET", f"{API}/VatCodes", json=[{"Id": 31, "Code": "3", "IsActive": True}])

    def test_reference_data_is_read_once_for_every_worker(self, client, http, token, connection):
        vat = self.vat_codes(http)
        assert Lookups(client, connection).vat_ids() == {"3": 31}
        lookups_module._cache.clear()  # another process: nothing of its own yet
        assert Lookups(another_worker(client), connection).vat_ids() == {"3": 31}
        assert vat.call_count == 1

    def test_each_connection_has_its_own(self, client, http, token, connection):
        vat = self.vat_codes(http)
        Lookups(client, connection).vat_ids()
        Lookups(client, ConnectionFactory()).vat_ids()
        assert vat.call_count == 2

    def test_a_refusal_naming_a_vat_id_drops_the_vat_ids_for_every_worker(
        self, client, http, token, connection
    ):
        vat = self.vat_codes(http)
        Lookups(client, connection).vat_ids()
        refusal = errors.ValidationRejected(
            "Validation failed", field_errors={"VoucherLines[0].VatId": ["VatId 31 not found"]}
        )
        assert Lookups(client, connection).forget_stale(refusal) == ["vat_ids"]
        lookups_module._cache.clear()
        Lookups(another_worker(client), connection).vat_ids()
        assert vat.call_count == 2

    def test_a_refusal_naming_an_account_drops_accounts_and_the_customer(
        self, client, http, token, connection
    ):
        refusal = errors.NotFound("Account 1500 not found")
        dropped = Lookups(client, connection).forget_stale(refusal, customer_number=10001)
        assert dropped == ["account_ids", "customer:10001"]

    def test_an_unrelated_refusal_keeps_everything(self, client, connection):
        refusal = errors.ValidationRejected("Date is in a closed period")
        assert Lookups(client, connection).forget_stale(refusal) == []


def test_sessions_of_a_process_share_one_connection_pool(client, monkeypatch):
    other = another_worker(client)
    assert client.get_adapter("https://x/") is other.get_adapter("https://x/")
    assert client.get_adapter("https://x/") is shared_adapter("poweroffice")
    closed = []
    monkeypatch.setattr(shared_adapter("poweroffice"), "close", lambda: closed.append(1))
    other.close()  # a session's end leaves the pool open for the next one
    assert closed == []
