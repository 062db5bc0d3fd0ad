"""Sandbox rules checked in-process (werkzeug test client, no sockets): gateway, numbering,
voucher rules, privileges, control API and deterministic faults."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from werkzeug.test import Client

from integrations.poweroffice import sandbox
from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
from integrations.sandbox.faults import FaultInjector
from integrations.sandbox.server import RECEIVED

SUB = {"Ocp-Apim-Subscription-Key": sandbox.DEFAULT_SUBSCRIPTION_KEY}


def basic(app_key=sandbox.DEFAULT_APPLICATION_KEY, client_key=sandbox.DEFAULT_CLIENT_KEY):
    return "Basic " + base64.b64encode(f"{app_key}:{client_key}".encode()).decode()


def token_response(web, **keys):
    return web.post(
        "/OAuth/Token",
        data={"grant_type": "client_credentials"},
        headers={**SUB, "Authorization": basic(**keys)},
    )


@pytest.fixture
def app():
    return PowerOfficeSandbox(config=SandboxConfig(rate_limit=None))


@pytest.fixture
def web(app):
    return Client(app)


@pytest.fixture
def auth(web):
    token = token_response(web).json["access_token"]
    return {**SUB, "Authorization": f"Bearer {token}"}


class TestGateway:
    def test_token_path_is_case_insensitive_and_answers_the_oauth_shape(self, web):
        response = web.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={**SUB, "Authorization": basic()},
        )
        assert response.status_code == 200
        assert set(response.json) == {"access_token", "token_type", "expires_in"}

    def test_unknown_application_key_is_invalid_client(self, web):
        response = token_response(web, app_key="wrong")
        assert (response.status_code, response.json["error"]) == (400, "invalid_client")

    def test_missing_subscription_key_is_a_gateway_401(self, web):
        response = web.get("/v2/VatCodes")
        assert response.status_code == 401 and "subscription key" in response.json["message"]

    def test_rate_limit_answers_429_with_retry_after(self, app, web, auth):
        web.post("/_sandbox/config", json={"rate_limit": 2})
        statuses = [web.get("/v2/LockDateSettings", headers=auth).status_code for _ in range(3)]
        assert statuses[-1] == 429
        last = web.get("/v2/LockDateSettings", headers=auth)
        assert last.headers["Retry-After"] == "1"

    def test_rate_limit_counts_each_request_from_when_it_came_in(self, app, web, auth):
        """A request is counted from when its first line was read (the server's stamp), not
        from when the busy sandbox got round to it."""
        web.post("/_sandbox/config", json={"rate_limit": 1})
        came_in = time.monotonic() - 5.0

        def status(received: float) -> int:
            overrides = {RECEIVED: received}
            return web.get("/v2/LockDateSettings", headers=auth,
                           environ_overrides=overrides).status_code  # fmt: skip

        # Handled back to back, but they came in 1.5 s apart: both are within the limit.
        assert [status(came_in), status(came_in + 1.5)] == [200, 200]
        # 0.5 s after the last one: a second request in one second.
        assert status(came_in + 2.0) == 429

    def test_missing_privilege_is_403(self, app, web):
        app.config.clients[sandbox.DEFAULT_CLIENT_KEY] = {
            "name": "X",
            "privileges": ["CommonServices"],
        }
        token = token_response(web).json["access_token"]
        headers = {**SUB, "Authorization": f"Bearer {token}"}
        assert web.get("/v2/Customers", headers=headers).status_code == 403
        info = web.get("/v2/ClientIntegrationInformation", headers=headers).json
        assert "Customer_Full" in info["InvalidPrivileges"]


class TestRegisters:
    def test_customer_number_outside_the_series_is_refused(self, web, auth):
        response = web.post("/v2/Customers", json={"Name": "A", "Number": 99}, headers=auth)
        assert response.status_code == 400 and "Number" in response.json["errors"]

    def test_duplicate_customer_number_is_refused(self, web, auth):
        assert (
            web.post("/v2/Customers", json={"Name": "A", "Number": 10005}, headers=auth).status_code
            == 201
        )
        again = web.post("/v2/Customers", json={"Name": "B", "Number": 10005}, headers=auth)
        assert again.status_code == 400 and "already exists" in again.json["detail"]

    def test_filter_not_emulated_is_501(self, web, auth):
        response = web.get("/v2/Customers?contactGroupIds=1", headers=auth)
        assert response.status_code == 501


class TestVouchers:
    def _accounts(self, web, auth):
        return {
            a["AccountNo"]: a["Id"] for a in web.get("/v2/GeneralLedgerAccounts", headers=auth).json
        }

    def test_manual_journal_must_balance(self, web, auth):
        accounts = self._accounts(web, auth)
        line = {
            "AccountId": accounts[1920],
            "VatId": None,
            "PostingDate": "2025-02-01",
            "CurrencyAmount": 10,
        }
        body = {"CurrencyCode": "NOK", "VoucherDate": "2025-02-01", "VoucherLines": [line]}
        response = web.post("/v2/Vouchers/ManualJournals", json=body, headers=auth)
        assert response.status_code == 400 and "does not balance" in response.json["detail"]

    def test_posting_on_or_before_the_lock_date_is_refused(self, web, auth):
        body = {"CurrencyCode": "NOK", "VoucherDate": "2024-12-31", "VoucherLines": []}
        response = web.post("/v2/Vouchers/ManualJournals", json=body, headers=auth)
        assert response.status_code == 400 and "lock date" in response.json["detail"]


class TestControlAndFaults:
    def test_reset_forgets_state_and_faults(self, app, web, auth):
        web.post("/v2/Departments", json={"Name": "Kitchen"}, headers=auth)
        web.post("/_sandbox/faults", json={"error_rate": 1.0})
        web.post("/_sandbox/reset")
        assert web.get("/_sandbox/faults").json["error_rate"] == 0.0
        assert app.books == {} and web.get("/_sandbox/requests").json == []

    def test_injected_errors_follow_the_seed(self):
        def draws(seed):
            injector = FaultInjector(seed)
            injector.configure(error_rate=0.5)
            return [injector.should_fail() for _ in range(20)]

        assert draws(7) == draws(7)
        assert draws(7) != draws(8)

    def test_seeded_register_rows_are_served_by_the_api(self, web, auth):
        seeded = web.post("/_sandbox/seed/register_rows", json={
            "register": "Customers", "rows": [{"Name": "Kunde AS", "Number": 10001}],
        }).json["rows"]  # fmt: skip
        assert seeded[0]["SubledgerAccountId"]
        web.post("/_sandbox/seed/register_rows",
                 json={"register": "Products", "rows": [{"Code": "P1", "Name": "Kaffe"}]})
        products = web.get("/v2/Products", headers=auth).json
        assert [p["Code"] for p in products] == ["P1"]
        assert web.post("/_sandbox/seed/register_rows", json={"rows": []}).status_code == 400

    def test_bad_fault_settings_are_refused(self, web):
        assert web.post("/_sandbox/faults", json={"error_rate": 2}).status_code == 400
        assert web.post("/_sandbox/faults", json={"colour": 1}).status_code == 400

    def test_write_latency_slows_only_the_writes_it_names(self, app, web, auth):
        slept = []
        app.faults._sleep = slept.append
        web.post("/_sandbox/faults", json={"write_latency": {"/departments": 1.5}})
        web.get("/v2/Departments", headers=auth)
        web.post("/v2/Projects", json={"Code": "P1", "Name": "One"}, headers=auth)
        assert slept == []
        web.post("/v2/Departments", json={"Name": "Kitchen"}, headers=auth)
        assert slept == [1.5]

    def test_negative_write_latency_is_refused(self, web):
        response = web.post("/_sandbox/faults", json={"write_latency": {"/Vouchers/": -1}})
        assert response.status_code == 400 and "write_latency" in response.json["detail"]

    def test_inflight_lists_a_write_while_it_is_handled(self, app, auth):
        entered, release = threading.Event(), threading.Event()

        def hold(seconds):
            entered.set()
            release.wait(5)

        app.faults._sleep = hold
        Client(app).post("/_sandbox/faults", json={"write_latency": {"/Departments": 1}})
        writer = threading.Thread(
            target=lambda: Client(app).post("/v2/Departments", json={"Name": "Bar"}, headers=auth)
        )
        writer.start()
        try:
            assert entered.wait(5)
            inflight = Client(app).get("/_sandbox/inflight").json
            assert [(r["method"], r["path"]) for r in inflight] == [("POST", "/v2/Departments")]
            assert '"Bar"' in inflight[0]["body"]
        finally:
            release.set()
            writer.join(5)
        assert Client(app).get("/_sandbox/inflight").json == []
        assert [r["Name"] for r in Client(app).get("/v2/Departments", headers=auth).json] == ["Bar"]


class TestLatency:
    """The network a request crosses: half its round trip on the way in (before the sandbox
    counts it against the rate limit), half on the way back."""

    @staticmethod
    def traced(latency, jitter=0.0, seed=0):
        events: list = []
        app = PowerOfficeSandbox(config=SandboxConfig(rate_limit=None), seed=seed)
        app.faults._sleep = lambda seconds: events.append(round(seconds, 6))
        app.faults.configure(latency=latency, jitter=jitter, seed=seed)
        handle = app.dispatch
        app.dispatch = lambda request: (events.append("handled"), handle(request))[1]
        return app, events

    def test_round_trip_is_split_around_the_handling(self):
        app, events = self.traced(0.1)
        token_response(Client(app))
        assert events == [0.05, "handled", 0.05]

    def test_jitter_spreads_round_trips_within_bounds_and_follows_the_seed(self):
        def trips(seed):
            app, events = self.traced(0.1, 0.02, seed)
            for _ in range(30):
                token_response(Client(app))
            return [2 * s for s in events if s != "handled"][::2]

        first = trips(3)
        assert all(0.08 <= trip <= 0.12 for trip in first)
        assert max(first) - min(first) > 0.02  # spread, not constant
        assert first == trips(3) and first != trips(4)

    def test_negative_latency_is_refused(self, web):
        assert web.post("/_sandbox/faults", json={"latency": -1}).status_code == 400
        assert web.post("/_sandbox/faults", json={"jitter": -0.1}).status_code == 400
