"""Sandbox rules in-process (werkzeug test client): auth, the F/S scope rules, contract checks,
the voucher rules of NOTES §5, faults (401, 429, 500) and the control API."""

from __future__ import annotations

import base64

import pytest
from werkzeug.test import Client

from integrations.azets import sandbox
from integrations.azets.sandbox.app import AzetsSandbox

SCOPE = "/v1/parents/S1001/clients/42"
AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{sandbox.DEFAULT_USERNAME}:{sandbox.DEFAULT_PASSWORD}".encode()).decode()}


@pytest.fixture
def app():
    return AzetsSandbox()


@pytest.fixture
def web(app):
    return Client(app)


def voucher(number="10023", **changes):
    body = {
        "invoiceNo": number, "customerNo": "1001", "invoiceDate": "2025-01-31",
        "dueDate": "2025-02-14", "totalInclVat": "1250.00", "currency": "NOK",
        "creditNoteFor": None, "dimensions": {},
        "lines": [{"accountNo": "3000", "vatCode": "3", "netAmount": "1000.00",
                   "vatAmount": "250.00"}],
    }
    return {**body, **changes}


@pytest.fixture
def customer(web):
    response = web.put(f"{SCOPE}/customers/1001", json={"name": "Fjord AS"}, headers=AUTH)
    assert response.status_code == 201


class TestGateway:
    def test_wrong_password_is_401(self, web):
        bad = {"Authorization": "Basic " + base64.b64encode(b"azets-sandbox:nope").decode()}
        assert web.get(f"{SCOPE}/", headers=bad).status_code == 401

    def test_scope_names_the_org_units(self, web):
        body = web.get(f"{SCOPE}/", headers=AUTH).json
        assert body["name"] == sandbox.DEFAULT_CLIENT_NAME
        assert {"no": 8, "name": "Prosjektkode", "valueType": "text"} in body["orgUnits"]

    def test_source_id_with_f_is_404_with_a_hint(self, web):
        response = web.get("/v1/parents/S1001/clients/F42/", headers=AUTH)
        assert response.status_code == 404 and "without the F" in response.json["detail"]

    def test_parent_without_s_is_404(self, web):
        assert web.get("/v1/parents/1001/clients/42/", headers=AUTH).status_code == 404

    def test_unknown_path_is_404_and_contract_errors_are_400_with_fields(self, web):
        assert web.get(f"{SCOPE}/suppliers", headers=AUTH).status_code == 404
        response = web.put(f"{SCOPE}/customers/1001", json={"name": ""}, headers=AUTH)
        assert response.status_code == 400
        assert response.json["errors"][0]["field"] == "name"


class TestVouchers:
    def test_voucher_needs_the_customer_first(self, web):
        response = web.put(f"{SCOPE}/vouchers/10023", json=voucher(), headers=AUTH)
        assert response.status_code == 422 and response.json["errors"][0]["field"] == "customerNo"

    def test_replay_is_200_and_other_content_409(self, app, web, customer):
        assert web.put(f"{SCOPE}/vouchers/10023", json=voucher(), headers=AUTH).status_code == 201
        replay = web.put(f"{SCOPE}/vouchers/10023", json=voucher(), headers=AUTH)
        other = web.put(f"{SCOPE}/vouchers/10023", json=voucher(description="x"), headers=AUTH)
        assert (replay.status_code, replay.json["replayed"], other.status_code) == (200, True, 409)
        assert app.ledger().postings == 1

    @pytest.mark.parametrize(("changes", "field"), [
        ({"invoiceNo": "10024"}, "invoiceNo"),
        ({"dueDate": "2025-01-30"}, "dueDate"),
        ({"totalInclVat": "1250.01"}, "totalInclVat"),
        ({"lines": [{"accountNo": "3000", "vatCode": "3", "netAmount": "500.00",
                     "vatAmount": "125.00"}] * 2}, "lines"),
        ({"creditNoteFor": "999"}, "creditNoteFor"),
        ({"attachments": []}, "attachments"),
        ({"projectNo": "200"}, "projectNo"),
        ({"dimensions": {"project": {"orgUnit": 3, "value": "200"},
                         "department": {"orgUnit": 3, "value": "10"}}},
         "dimensions.department.orgUnit"),
        ({"accrual": {"debitAccountNo": "1530", "creditAccountNo": "1530"}},
         "accrual.creditAccountNo"),
    ])
    def test_voucher_rules(self, web, customer, changes, field):
        response = web.put(f"{SCOPE}/vouchers/10023", json=voucher(**changes), headers=AUTH)
        assert response.status_code in (400, 422)
        assert response.json["errors"][0]["field"] == field

    def test_project_cannot_put_its_department_on_its_own_org_unit(self, web, customer):
        body = {"name": "Fjordprosjekt", "customerNo": "1001", "orgUnit": 3,
                "department": {"orgUnit": 3, "value": "10"}}
        response = web.put(f"{SCOPE}/projects/200", json=body, headers=AUTH)
        assert response.status_code == 400
        assert response.json["errors"][0]["field"] == "department.orgUnit"

    def test_credit_note_must_be_negative(self, web, customer):
        web.put(f"{SCOPE}/vouchers/10023", json=voucher(), headers=AUTH)
        response = web.put(f"{SCOPE}/vouchers/10024",
                           json=voucher("10024", creditNoteFor="10023"), headers=AUTH)
        assert response.status_code == 400 and "negative" in response.json["detail"]


class TestFeedAndControl:
    def test_feed_pages_with_a_cursor(self, web):
        web.post("/_sandbox/config", json={"page_size": 3})
        first = web.get(f"{SCOPE}/expenses?since=2025-01-01", headers=AUTH).json
        last = web.get(f"{SCOPE}/expenses?since=2025-01-01&cursor=6", headers=AUTH).json
        assert (len(first["items"]), first["nextCursor"]) == (3, "3")
        assert (len(last["items"]), last["nextCursor"]) == (1, None)

    def test_feed_requires_since(self, web):
        assert web.get(f"{SCOPE}/expenses", headers=AUTH).status_code == 400

    @pytest.mark.parametrize(("faults", "status"), [
        ({"unauthorized": True}, 401), ({"throttle_rate": 1.0, "retry_after": 9}, 429),
        ({"error_rate": 1.0}, 500),
    ])
    def test_switchable_faults(self, web, faults, status):
        web.post("/_sandbox/faults", json=faults)
        response = web.get(f"{SCOPE}/", headers=AUTH)
        assert response.status_code == status
        if status == 429:
            assert response.headers["Retry-After"] == "9"

    @pytest.mark.parametrize("data", [{}, {"scope": "S9/9", "items": []}])
    def test_bad_control_command_is_400_not_a_crash(self, web, data):
        response = web.post("/_sandbox/expenses", json=data)
        assert response.status_code == 400 and response.json["title"] == "Bad sandbox command"

    def test_reset_forgets_state_faults_and_log(self, app, web, customer):
        web.post("/_sandbox/faults", json={"unauthorized": True})
        web.post("/_sandbox/reset")
        assert web.get("/_sandbox/faults").json["unauthorized"] is False
        assert app.snapshot() == {} and web.get("/_sandbox/requests").json == []
