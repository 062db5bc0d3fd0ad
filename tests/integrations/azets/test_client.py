"""AzetsClient over mocked HTTP: what it sends (Basic auth, contract-valid bodies, query) and how
every answer maps onto the error tree; secrets never appear in error texts."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from integrations import errors
from integrations.azets import contract
from integrations.azets.client import AzetsClient

BASE = "https://azets.example/v1/parents/S1001/clients/42"
PASSWORD = "very-secret-password"


@pytest.fixture
def client():
    return AzetsClient(base_url="https://azets.example", parent_client_id="S1001",
                       source_client_id="42", username="lb", password=PASSWORD,
                       client_label="Fjord AS")


def problem(status, title, errors_=None):
    body = {"type": "about:blank", "title": title, "status": status}
    if errors_:
        body["errors"] = errors_
    return body


def assert_sent_within_contract(http):
    for call in http.calls:
        body = json.loads(call.request.body) if call.request.body else None
        contract.validate_request(call.request.method, call.request.url, body)


VOUCHER = {
    "invoiceNo": "10023", "customerNo": "1001", "invoiceDate": "2025-01-31",
    "dueDate": "2025-02-14", "totalInclVat": "1250.00", "currency": "NOK", "creditNoteFor": None,
    "dimensions": {}, "lines": [{"accountNo": "3000", "vatCode": "3", "netAmount": "1000.00",
                                 "vatAmount": "250.00"}],
}


class TestRequests:
    def test_scope_is_read_with_basic_auth(self, client, http):
        http.add("GET", f"{BASE}/", json={"name": "Fjord AS", "ledger": "visma",
                                          "orgUnits": [{"no": 1, "name": "Avdeling",
                                                        "valueType": "integer"}]})
        scope = client.get_scope()
        sent = http.calls[0].request.headers["Authorization"]
        assert sent == "Basic " + base64.b64encode(f"lb:{PASSWORD}".encode()).decode()
        assert (scope.name, scope.org_unit_name(1)) == ("Fjord AS", "Avdeling")
        assert_sent_within_contract(http)

    def test_api_key_replaces_basic_auth(self, http):
        client = AzetsClient(base_url="https://azets.example", parent_client_id="S1001",
                             source_client_id="42", api_key="key-123456")
        http.add("GET", f"{BASE}/", json={"name": "x", "ledger": "visma", "orgUnits": []})
        client.get_scope()
        assert http.calls[0].request.headers["Authorization"] == "ApiKey key-123456"

    def test_voucher_put_reports_created_or_replayed(self, client, http):
        http.add("PUT", f"{BASE}/vouchers/10023", status=201, json={"id": "10023"})
        http.add("PUT", f"{BASE}/vouchers/10023", status=200,
                 json={"id": "10023", "replayed": True})
        first, second = client.put_voucher("10023", VOUCHER), client.put_voucher("10023", VOUCHER)
        assert (first.created, second.created, second.replayed) == (True, False, True)
        assert_sent_within_contract(http)

    def test_expense_pages_follow_the_cursor_and_send_the_report(self, client, http):
        http.add("GET", f"{BASE}/expenses", json={"items": [{"expenseId": "1"}],
                                                  "nextCursor": "1"})
        http.add("GET", f"{BASE}/expenses", json={"items": [{"expenseId": "2"}],
                                                  "nextCursor": None})
        pages = list(client.iter_expense_pages(since=date(2025, 1, 1), report="Standard"))
        assert [[e["expenseId"] for e in page] for page in pages] == [["1"], ["2"]]
        assert http.calls[1].request.params == {"since": "2025-01-01", "report": "Standard",
                                                "cursor": "1"}

    def test_blank_report_is_left_out(self, client, http):
        http.add("GET", f"{BASE}/expenses", json={"items": [], "nextCursor": None})
        client.list_expenses(since=date(2025, 1, 1))
        assert "report" not in http.calls[0].request.params


class TestErrors:
    @pytest.mark.parametrize(("status", "error"), [
        (401, errors.AuthError), (404, errors.NotFound), (409, errors.Conflict),
        (422, errors.ValidationRejected), (400, errors.ValidationRejected),
        (500, errors.Unavailable), (503, errors.Unavailable),
    ])
    def test_status_maps_onto_the_error_tree(self, client, http, status, error):
        http.add("PUT", f"{BASE}/vouchers/10023", status=status, json=problem(status, "No"))
        with pytest.raises(error) as raised:
            client.put_voucher("10023", VOUCHER)
        assert raised.value.status_code == status

    def test_problem_field_errors_are_kept(self, client, http):
        http.add("PUT", f"{BASE}/vouchers/10023", status=422, json=problem(
            422, "Unknown customer", [{"field": "customerNo", "message": "send it first"}]))
        with pytest.raises(errors.ValidationRejected) as raised:
            client.put_voucher("10023", VOUCHER)
        assert raised.value.field_errors == {"customerNo": ["send it first"]}
        assert "customerNo: send it first" in str(raised.value)

    def test_rate_limit_keeps_retry_after(self, client, http):
        http.add("GET", f"{BASE}/", status=429, headers={"Retry-After": "7"},
                 json=problem(429, "Too Many Requests"))
        with pytest.raises(errors.RateLimited) as raised:
            client.get_scope()
        assert raised.value.retry_after == 7

    def test_timeout_is_unavailable(self, client, http):
        import requests

        http.add("GET", f"{BASE}/", body=requests.Timeout("slow"))
        with pytest.raises(errors.Unavailable, match="no answer within"):
            client.get_scope()

    def test_password_never_appears_in_the_error(self, client, http):
        http.add("GET", f"{BASE}/", status=401, json={"title": f"bad password {PASSWORD}"})
        with pytest.raises(errors.AuthError) as raised:
            client.get_scope()
        assert PASSWORD not in str(raised.value)
        assert PASSWORD not in raised.value.response_excerpt

    def test_reply_without_an_id_is_unavailable_not_success(self, client, http):
        http.add("PUT", f"{BASE}/customers/1001", status=201, json={})
        with pytest.raises(errors.Unavailable):
            client.put_customer("1001", {"name": "x"})
