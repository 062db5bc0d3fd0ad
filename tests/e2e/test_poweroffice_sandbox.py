"""The real PowerOffice client against the sandbox over HTTP: auth, registers, vouchers, storms
of 429 and 500, dropped responses, tokens expiring mid-batch and bad keys."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from integrations import errors
from integrations.poweroffice import sandbox
from integrations.poweroffice.client import json_patch, replace_patch
from integrations.ratelimit import SlidingWindowRateLimiter

from .conftest import make_client

pytestmark = pytest.mark.e2e

INVOICE_DATE = dt.date(2025, 1, 31)


def invoice_payload(po_client, customer, *, number="10023", reference="lb-1-inv-10023"):
    accounts = {a["AccountNo"]: a["Id"] for a in po_client.list_general_ledger_accounts()}
    return {
        "VoucherDate": INVOICE_DATE.isoformat(),
        "DueDate": "2025-02-14",
        "InvoiceNo": number,
        "ExternalImportReference": reference,
        "CurrencyCode": "NOK",
        "CurrencyAmount": 1250.0,
        "CustomerAccountId": customer["SubledgerAccountId"],
        "OutgoingInvoiceLines": [
            {
                "AccountId": accounts[3000],
                "VatId": 3,
                "CurrencyAmount": 1250.0,
                "Description": "Catering",
            }
        ],
    }


class TestHappyPath:
    def test_authenticates_and_reads_the_client_integration_information(self, po_client):
        info = po_client.get_client_integration_information()
        assert info.client_name == sandbox.DEFAULT_CLIENT_NAME
        assert info.has_privilege("OutgoingInvoiceVoucher_Full")

    def test_customers_are_numbered_patched_and_listed(self, po_client):
        first = po_client.create_customer({"Name": "Fjord AS"})
        second = po_client.create_customer({"Name": "Bergen Bakeri AS"})
        assert (first["Number"], second["Number"]) == (10000, 10001)
        old = {"Name": "Fjord AS", "EmailAddress": None}
        new = {"Name": "Fjord Catering AS", "EmailAddress": "post@fjord.no"}
        patched = po_client.update_customer(first["Id"], json_patch(old, new))
        assert patched["Name"] == "Fjord Catering AS" and patched["EmailAddress"] == "post@fjord.no"
        assert [c["Name"] for c in po_client.list_customers(numbers="10000")] == [
            "Fjord Catering AS"
        ]

    def test_paging_returns_every_row_and_empty_lists_are_empty(self, po_client):
        for n in range(5):
            po_client.create_product({"Name": f"Coffee {n}", "Code": f"C{n}"})
        po_client.page_size = 2
        assert [p["Code"] for p in po_client.list_products()] == ["C0", "C1", "C2", "C3", "C4"]
        assert list(po_client.list_projects(codes=["none"])) == []

    def test_invoice_is_posted_documented_and_found_by_reference(self, po_client):
        customer = po_client.create_customer({"Name": "Fjord AS"})
        voucher = po_client.post_outgoing_invoice(invoice_payload(po_client, customer))
        po_client.upload_voucher_pdf(voucher.voucher_id, b"%PDF-1.4 invoice 10023", "10023.pdf")
        assert po_client.list_voucher_documentation(voucher.voucher_id)[0]["HasPdf"] is True
        found = po_client.find_voucher_by_reference(
            external_import_reference="lb-1-inv-10023",
            voucher_date=INVOICE_DATE,
            invoice_no="10023",
        )
        assert found.voucher_id == voucher.voucher_id

    @pytest.mark.parametrize(
        ("behaviour", "vouchers", "field_errors"),
        [("refuse_field", 1, True), ("refuse_plain", 1, False), ("accept", 2, False)],
    )
    def test_a_repeated_reference_is_answered_as_the_duplicates_switch_says(
        self, po_client, po_sandbox, behaviour, vouchers, field_errors
    ):
        po_sandbox.control("config", {"duplicates": behaviour})
        customer = po_client.create_customer({"Name": "Fjord AS"})
        payload = invoice_payload(po_client, customer)
        po_client.post_outgoing_invoice(payload)
        if behaviour == "accept":
            po_client.post_outgoing_invoice(payload)
        else:
            with pytest.raises(errors.ValidationRejected) as caught:
                po_client.post_outgoing_invoice(payload)
            assert bool(caught.value.field_errors) is field_errors
        assert len(po_sandbox.books().vouchers) == vouchers
        doubled = po_sandbox.control("books", method="GET")["doubled"]
        assert doubled == ([payload["ExternalImportReference"]] if vouchers == 2 else [])

    def test_patch_outside_the_contract_is_refused_by_the_sandbox(self, po_client):
        customer = po_client.create_customer({"Name": "Fjord AS"})
        with pytest.raises(errors.ValidationRejected, match="SubledgerAccountId"):
            po_client.update_customer(customer["Id"], replace_patch({"SubledgerAccountId": 5}))


class TestStorms:
    def test_429_storm_is_ridden_out_by_reads(self, po_sandbox, po_client):
        po_sandbox.control("config", {"rate_limit": 4})
        results = [po_client.get_lock_date() for _ in range(8)]
        assert set(results) == {dt.date(2024, 12, 31)}
        assert po_sandbox.requests("/v2/LockDateSettings", status=429)

    def test_429_on_a_post_is_waited_out_and_stores_each_record_once(self, po_sandbox, po_client):
        """The gateway's 429 comes before anything is processed: even a POST is repeated."""
        po_sandbox.control("config", {"rate_limit": 1})
        for n in range(3):
            po_client.create_department({"Name": f"Dept {n}", "Code": f"D{n}"})
        assert po_sandbox.requests("/v2/Departments", status=429)
        assert len(po_sandbox.books().register("Departments").rows) == 3

    def test_500_storm_reads_retry_and_plain_writes_fail_cleanly(self, po_sandbox, po_client):
        po_sandbox.control("faults", {"error_rate": 0.4, "seed": 11})
        po_client.max_attempts = 8
        assert len([po_client.get_lock_date() for _ in range(6)]) == 6
        created, failures = 0, 0
        for n in range(10):
            try:
                po_client.create_department({"Name": f"Dept {n}"})
                created += 1
            except errors.Unavailable:
                failures += 1
        assert failures > 0 and po_sandbox.requests("/v2/", status=500)
        assert len(po_sandbox.books().register("Departments").rows) == created


class TestDroppedResponses:
    def test_a_dropped_voucher_answer_is_an_unknown_outcome_and_the_look_up_finds_it(
        self, po_sandbox, po_client
    ):
        customer = po_client.create_customer({"Name": "Fjord AS"})
        payload = invoice_payload(po_client, customer)
        po_sandbox.control("faults", {"drop_rate": 1.0})
        with pytest.raises(errors.OutcomeUnknown, match="the request was sent"):
            po_client.post_outgoing_invoice(payload)
        assert len(po_sandbox.requests("/Vouchers/")) == 1  # not repeated by the client
        po_sandbox.control("faults", {"drop_rate": 0.0})
        found = po_client.find_voucher_by_reference(
            external_import_reference=payload["ExternalImportReference"],
            voucher_date=INVOICE_DATE,
            invoice_no="10023",
        )
        assert found is not None and len(po_sandbox.books().vouchers) == 1

    def test_plain_post_with_a_dropped_answer_is_unavailable_but_stored(
        self, po_sandbox, po_client
    ):
        po_sandbox.control("faults", {"drop_rate": 1.0})
        with pytest.raises(errors.Unavailable):
            po_client.create_customer({"Name": "Fjord AS"})
        po_sandbox.control("faults", {"drop_rate": 0.0})
        assert [c["Name"] for c in po_client.list_customers()] == ["Fjord AS"]


class TestAuthFailures:
    def test_token_expiring_mid_batch_is_renewed_once_and_the_batch_completes(
        self, po_sandbox, po_client
    ):
        po_client.create_customer({"Name": "A"})
        po_sandbox.control("tokens/expire")
        po_client.create_customer({"Name": "B"})
        po_client.create_customer({"Name": "C"})
        assert len(po_sandbox.requests("/OAuth/Token")) == 2
        assert len(po_sandbox.requests("/v2/Customers", status=401)) == 1
        assert len(po_sandbox.books().register("Customers").rows) == 3

    def test_short_token_lifetime_is_renewed_before_expiry(self, po_sandbox, po_client):
        po_sandbox.control("config", {"token_ttl": 600})
        po_client.tokens.clear()
        po_client.get_lock_date()
        assert len(po_sandbox.requests("/OAuth/Token")) == 1

    def test_wrong_client_key_is_refused(self, po_sandbox):
        client = make_client("11111111-2222-4333-8444-555555555555")
        with pytest.raises(errors.AuthError, match="client key is not valid"):
            client.authenticate()

    def test_client_key_from_the_other_environment_is_refused_and_says_so(self, po_sandbox):
        client = make_client(sandbox.OTHER_ENVIRONMENT_CLIENT_KEY)
        with pytest.raises(errors.AuthError, match="not registered in this environment"):
            client.get_client_integration_information()

    def test_unreachable_sandbox_is_unavailable(self, po_sandbox, settings):
        po_sandbox.server.stop()
        with pytest.raises(errors.Unavailable, match="could not connect"):
            make_client(rate_limiter=SlidingWindowRateLimiter(1000)).authenticate()


class TestSandboxHonesty:
    def test_invalid_body_gets_problem_details_with_lower_case_keys(self, po_sandbox, po_client):
        po_client.authenticate()
        response = requests.post(
            f"{po_sandbox.url}/v2/Customers",
            json={"Name": 5},
            headers={
                "Authorization": f"Bearer {po_client._token_value}",
                "Ocp-Apim-Subscription-Key": sandbox.DEFAULT_SUBSCRIPTION_KEY,
            },
            timeout=5,
        )
        assert response.status_code == 400
        assert response.json()["title"] and "Name" in response.json()["detail"]

    def test_operations_not_emulated_answer_501(self, po_sandbox, po_client):
        with pytest.raises(errors.PermanentError) as caught:
            po_client.call("GET", "/OrganizationSettings")
        assert caught.value.status_code == 501
