"""PowerOfficeClient over mocked HTTP: authentication, errors, retries, paging, JSON Patch and the
typed methods. Every request made here is also checked against contract.json (conftest)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from decimal import Decimal

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from responses import matchers

from integrations import errors
from integrations.poweroffice.client import PowerOfficeClient, json_patch, replace_patch
from integrations.ratelimit import get_rate_limiter

from .conftest import (
    API,
    APPLICATION_KEY,
    CLIENT_KEY,
    SUBSCRIPTION_KEY,
    TOKEN_URL,
    captured,
)
from .contract_helpers import assert_requests_match_contract, sent_json, sent_requests

VOUCHER_ID = "3f1d2c4b-5a69-4e8f-9b0a-7c6d5e4f3a21"
CUSTOMER = {"Name": "Fjordkraft Catering AS", "Number": 10001, "OrganizationNumber": "987654321"}


def token_calls(http):
    return [c for c in http.calls if c.request.url.endswith("/OAuth/Token")]


class TestAuthentication:
    def test_token_request_uses_basic_auth_form_and_subscription_key(self, client, http, token):
        http.add("GET", f"{API}/ClientIntegrationInformation", json={"ClientName": "X"})
        client.get_client_integration_information()
        sent = token_calls(http)[0].request
        expected = base64.b64encode(f"{APPLICATION_KEY}:{CLIENT_KEY}".encode()).decode()
        assert sent.headers["Authorization"] == f"Basic {expected}"
        assert sent.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY
        assert sent.body == "grant_type=client_credentials"

    def test_api_calls_carry_the_bearer_token_and_subscription_key(self, client, http, token):
        http.add("GET", f"{API}/ClientIntegrationInformation", json={"ClientName": "X"})
        client.get_client_integration_information()
        sent = sent_requests(http, "GET", "/ClientIntegrationInformation")[0]
        assert sent.headers["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.sandbox-token-1"
        assert sent.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY

    def test_token_is_reused_by_later_calls_and_other_clients_with_the_same_key(
        self, client, http, token, po_settings
    ):
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        client.get_lock_date()
        client.get_lock_date()
        PowerOfficeClient(
            application_key=APPLICATION_KEY,
            client_key=CLIENT_KEY,
            subscription_key=SUBSCRIPTION_KEY,
            mode="demo",
        ).get_lock_date()
        assert len(token_calls(http)) == 1

    def test_token_is_renewed_shortly_before_it_expires(self, client, http, token, clock):
        client.tokens.clock = clock
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        client.get_lock_date()
        clock.now += 1200 - 61
        client.get_lock_date()
        assert len(token_calls(http)) == 1
        clock.now += 2
        client.get_lock_date()
        assert len(token_calls(http)) == 2

    def test_concurrent_threads_share_one_token_request(self, client, http, token):
        threads = [threading.Thread(target=client.authenticate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(token_calls(http)) == 1

    def test_401_renews_the_token_once_and_repeats_even_a_plain_post(self, client, http, token):
        http.add("POST", f"{API}/Customers", status=401, json=captured("gateway_401.json"))
        http.add("POST", f"{API}/Customers", status=201, json=captured("customer_created.json"))
        created = client.create_customer(CUSTOMER)
        assert created["Id"] == 7001
        assert len(token_calls(http)) == 2
        assert len(sent_requests(http, "POST", "/Customers")) == 2

    def test_second_401_in_a_row_is_an_auth_error(self, client, http, token):
        http.add("GET", f"{API}/Customers", status=401, json=captured("gateway_401.json"))
        with pytest.raises(errors.AuthError, match="invalid subscription key"):
            list(client.list_customers())
        assert len(sent_requests(http, "GET", "/Customers")) == 2

    def test_key_from_the_other_environment_is_an_auth_error_that_says_so(self, client, http):
        http.add("POST", TOKEN_URL, status=400, json=captured("token_invalid_client.json"))
        with pytest.raises(errors.AuthError) as caught:
            client.authenticate()
        assert "invalid_client" in str(caught.value)
        assert "demo environment" in str(caught.value)
        assert CLIENT_KEY not in str(caught.value) and APPLICATION_KEY not in str(caught.value)

    @pytest.mark.parametrize(
        ("client_key", "reason"),
        [("", "client key is empty"), ("not-a-guid", "malformed"), ("0f1e 2d3c", "spaces")],
    )
    def test_empty_or_malformed_client_key_is_refused_before_any_request(
        self, po_settings, http, client_key, reason
    ):
        with pytest.raises(ImproperlyConfigured, match=reason):
            PowerOfficeClient(
                application_key=APPLICATION_KEY,
                client_key=client_key,
                subscription_key=SUBSCRIPTION_KEY,
                mode="demo",
            )
        assert len(http.calls) == 0

    def test_mode_without_a_base_url_is_a_configuration_error(self, po_settings):
        po_settings.POWEROFFICE_BASE_URLS = {**po_settings.POWEROFFICE_BASE_URLS, "demo": ""}
        with pytest.raises(ImproperlyConfigured, match="no URL for mode demo"):
            PowerOfficeClient(
                application_key=APPLICATION_KEY,
                client_key=CLIENT_KEY,
                subscription_key=SUBSCRIPTION_KEY,
                mode="demo",
            )

    def test_keys_and_tokens_never_reach_the_debug_log(self, client, http, token, caplog):
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        with caplog.at_level(logging.DEBUG):
            client.get_lock_date()
        logged = caplog.text
        assert "OAuth/Token" in logged
        for secret in (*client.secrets(), "sandbox-token-1"):
            assert secret not in logged


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "body", "error", "message"),
        [
            (
                400,
                "problem_details_400_lower.json",
                errors.ValidationRejected,
                "could not be saved",
            ),
            (400, "problem_details_400_pascal.json", errors.ValidationRejected, "VatId 99"),
            (403, None, errors.AuthError, "HTTP 403"),
            (404, "problem_details_404.json", errors.NotFound, "424242 was not found"),
            (409, "problem_details_409.json", errors.Conflict, "in use"),
            (500, None, errors.Unavailable, "HTTP 500"),
        ],
    )
    def test_status_maps_to_a_typed_error_with_the_apis_message(
        self, client, http, token, status, body, error, message
    ):
        http.add("POST", f"{API}/Customers", status=status, json=captured(body) if body else None)
        with pytest.raises(error, match=message) as caught:
            client.create_customer(CUSTOMER)
        assert caught.value.status_code == status
        assert caught.value.operation == "POST /Customers"
        assert caught.value.client == "Fjordkraft Catering AS"

    def test_field_errors_are_kept_in_lower_and_pascal_case_bodies(self, client, http, token):
        http.add(
            "POST", f"{API}/Customers", status=400, json=captured("problem_details_400_lower.json")
        )
        with pytest.raises(errors.ValidationRejected) as lower:
            client.create_customer(CUSTOMER)
        assert lower.value.field_errors["MailAddress.ZipCode"] == ["The ZipCode field is required."]
        http.add(
            "POST", f"{API}/Customers", status=400, json=captured("problem_details_400_pascal.json")
        )
        with pytest.raises(errors.ValidationRejected) as pascal:
            client.create_customer(CUSTOMER)
        assert "VatId" in str(pascal.value)

    def test_html_page_from_a_proxy_is_unavailable_with_a_clear_message(self, client, http, token):
        http.add(
            "POST",
            f"{API}/Customers",
            status=502,
            body=captured("proxy_502.html"),
            content_type="text/html",
        )
        with pytest.raises(errors.Unavailable, match="HTML page"):
            client.create_customer(CUSTOMER)

    def test_timeout_on_a_plain_post_is_unavailable_and_not_repeated(self, client, http, token):
        http.add("POST", f"{API}/Customers", body=requests.ReadTimeout("read timed out"))
        with pytest.raises(errors.Unavailable, match="no answer within") as caught:
            client.create_customer(CUSTOMER)
        assert caught.value.operation == "POST /Customers"
        assert len(sent_requests(http, "POST", "/Customers")) == 1

    def test_429_on_a_plain_post_goes_to_the_engine_with_retry_after(self, client, http, token):
        http.add(
            "POST",
            f"{API}/Customers",
            status=429,
            json=captured("gateway_429.json"),
            headers={"Retry-After": "2"},
        )
        with pytest.raises(errors.RateLimited) as caught:
            client.create_customer(CUSTOMER)
        assert caught.value.retry_after == 2.0
        assert "Rate limit is exceeded" in str(caught.value)


class TestRetries:
    def test_get_is_repeated_after_a_500_and_succeeds(self, client, http, token, clock):
        http.add("GET", f"{API}/LockDateSettings", status=500)
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        assert client.get_lock_date() == dt.date(2024, 12, 31)
        assert clock.sleeps == [client.retry_backoff]

    def test_get_waits_the_retry_after_of_a_429(self, client, http, token, clock):
        http.add("GET", f"{API}/LockDateSettings", status=429, headers={"Retry-After": "3"})
        http.add("GET", f"{API}/LockDateSettings", status=429)
        http.add("GET", f"{API}/LockDateSettings", json={"LockDate": "2024-12-31"})
        client.get_lock_date()
        assert [s for s in clock.sleeps if s >= 1] == [3.0, 1.0]

    def test_get_gives_up_after_max_attempts_with_rate_limited(self, client, http, token):
        http.add("GET", f"{API}/LockDateSettings", status=429, headers={"Retry-After": "1"})
        with pytest.raises(errors.RateLimited):
            client.get_lock_date()
        assert len(sent_requests(http, "GET", "/LockDateSettings")) == client.max_attempts

    def test_a_long_retry_after_is_left_to_the_engine(self, client, http, token, clock):
        http.add("GET", f"{API}/LockDateSettings", status=429, headers={"Retry-After": "120"})
        with pytest.raises(errors.RateLimited) as caught:
            client.get_lock_date()
        assert caught.value.retry_after == 120.0
        assert len(sent_requests(http, "GET", "/LockDateSettings")) == 1

    VOUCHER_PAYLOAD = {  # noqa: RUF012 - read only
        "VoucherDate": "2025-01-31",
        "CurrencyAmount": 1250.0,
        "InvoiceNo": "10023",
        "ExternalImportReference": "LB-TESTCODE-INV-10023",
    }

    @pytest.mark.parametrize(
        "lost", [requests.ConnectionError("Connection aborted"), requests.ReadTimeout("slow")]
    )
    def test_a_lost_answer_to_a_voucher_post_is_an_unknown_outcome_never_repeated(
        self, client, http, token, lost
    ):
        http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", body=lost)
        with pytest.raises(errors.OutcomeUnknown, match="the request was sent"):
            client.post_outgoing_invoice(self.VOUCHER_PAYLOAD)
        assert len(sent_requests(http, "POST", "/Vouchers/OutgoingInvoiceJournals")) == 1

    def test_a_post_that_could_not_connect_says_nothing_was_sent(self, client, http, token):
        http.add("POST", f"{API}/Customers", body=requests.ConnectTimeout("no route"))
        with pytest.raises(errors.Unavailable, match="nothing was sent") as caught:
            client.create_customer(CUSTOMER)
        assert not isinstance(caught.value, errors.OutcomeUnknown)

    @pytest.mark.parametrize(
        "answer",
        [
            {"status": 201, "body": b""},
            {"status": 200, "json": {"VoucherNo": 40001}},
            {"status": 201, "body": b"OK", "content_type": "text/plain"},
            {"status": 503, "json": {"title": "Service Unavailable"}},
        ],
        ids=["empty", "no-id", "not-json", "5xx"],
    )
    def test_an_answer_without_a_usable_body_leaves_the_outcome_unknown(
        self, client, http, token, answer
    ):
        http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", **answer)
        with pytest.raises(errors.OutcomeUnknown):
            client.post_outgoing_invoice(self.VOUCHER_PAYLOAD)
        assert len(sent_requests(http, "POST", "/Vouchers/OutgoingInvoiceJournals")) == 1

    @pytest.mark.parametrize(
        "body",
        [
            "problem_details_400_duplicate_reference.json",
            "problem_details_400_duplicate_plain.json",
            "problem_details_400_no_fields.json",
        ],
    )
    def test_a_refused_post_is_a_plain_refusal_whatever_its_words(self, client, http, token, body):
        """The client never interprets a refusal's wording (the exporter looks the voucher up
        after any refusal)."""
        http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", status=400,
                 json=captured(body))  # fmt: skip
        with pytest.raises(errors.ValidationRejected) as caught:
            client.post_outgoing_invoice(self.VOUCHER_PAYLOAD)
        assert not isinstance(caught.value, errors.Conflict)

    def test_post_and_patch_are_never_repeated(self, client, http, token):
        http.add("POST", f"{API}/Customers", status=503)
        http.add("PATCH", f"{API}/Customers/7001", status=503)
        with pytest.raises(errors.Unavailable):
            client.create_customer(CUSTOMER)
        with pytest.raises(errors.Unavailable):
            client.update_customer(7001, replace_patch({"Name": "New"}))
        assert len(http.calls) == 3  # token + one POST + one PATCH


class TestListsAndPatch:
    def test_204_is_an_empty_list(self, client, http, token):
        http.add("GET", f"{API}/Customers", status=204)
        assert list(client.list_customers(numbers=[10001, 10002])) == []
        assert sent_requests(http, "GET", "/Customers")[0].params["customerNos"] == "10001,10002"

    def test_paging_reads_until_a_short_page(self, client, http, token):
        client.page_size = 2
        for page, rows in ((1, [1, 2]), (2, [3, 4]), (3, [5])):
            http.add(
                "GET",
                f"{API}/Projects",
                json=[{"Id": n, "Name": f"P{n}"} for n in rows],
                match=[matchers.query_param_matcher({"PageNumber": str(page), "PageSize": "2"})],
            )
        assert [p["Id"] for p in client.list_projects()] == [1, 2, 3, 4, 5]

    def test_paging_stops_on_204_after_a_full_page(self, client, http, token):
        client.page_size = 2
        http.add("GET", f"{API}/Departments", json=[{"Id": 1}, {"Id": 2}])
        http.add("GET", f"{API}/Departments", status=204)
        assert len(list(client.list_departments(codes=["D1", "D2"]))) == 2
        assert len(sent_requests(http, "GET", "/Departments")) == 2

    def test_update_sends_json_patch_built_from_old_and_new(self, client, http, token):
        http.add("PATCH", f"{API}/Customers/7001", json=captured("customer_created.json"))
        old = {"Name": "Fjord AS", "MailAddress": {"City": "Oslo", "ZipCode": "0150"}}
        new = {"Name": "Fjord AS", "MailAddress": {"City": "Bergen", "ZipCode": "5003"}}
        client.update_customer(7001, json_patch(old, new))
        sent = sent_requests(http, "PATCH", "/Customers/7001")[0]
        assert sent.headers["Content-Type"] == "application/json-patch+json"
        assert sorted(op["path"] for op in sent_json(http, "PATCH", "/Customers/7001")) == [
            "/MailAddress/City",
            "/MailAddress/ZipCode",
        ]

    def test_decimals_and_dates_are_sent_as_json_numbers_and_iso_dates(self, client, http, token):
        http.add("POST", f"{API}/Customers", status=201, json=captured("customer_created.json"))
        client.create_customer(
            {**CUSTOMER, "Allowance": Decimal("12.50"), "CustomerSince": dt.date(2024, 5, 1)}
        )
        body = sent_json(http, "POST", "/Customers")
        assert body["Allowance"] == 12.5 and body["CustomerSince"] == "2024-05-01"

    def test_the_attempts_request_summary_shows_the_body_as_sent(self, client, http, token):
        http.add("POST", f"{API}/Customers", status=201, json=captured("customer_created.json"))
        client.create_customer({**CUSTOMER, "Name": "Bjørnstad Bakeri AS"})

        summary = client.last_exchange["request"]

        assert summary.startswith(f'POST {API}/Customers {{"Name": "Bjørnstad Bakeri AS"')


class TestTypedMethods:
    def test_client_integration_information_is_parsed(self, client, http, token):
        http.add(
            "GET",
            f"{API}/ClientIntegrationInformation",
            json=captured("client_integration_information.json"),
        )
        info = client.get_client_integration_information()
        assert info.client_name == "Fjordkraft Catering AS"
        assert info.has_privilege("outgoinginvoicevoucher_full")
        assert not info.has_privilege("AccountTransaction")

    def test_voucher_is_found_by_reference_through_the_customer_ledger(self, client, http, token):
        http.add(
            "GET",
            f"{API}/Customerledger/Statement",
            json=captured("customer_ledger_statement_invoice.json"),
        )
        found = client.find_voucher_by_reference(
            external_import_reference="lb-1-inv-10023",
            voucher_date=dt.date(2025, 1, 31),
            invoice_no="10023",
        )
        assert found.voucher_id == VOUCHER_ID and found.voucher_no == 40001
        params = sent_requests(http, "GET", "/Customerledger/Statement")[0].params
        assert params["invoiceNos"] == "10023" and params["fromDate"] == "2025-01-31"

    def test_unknown_reference_is_none(self, client, http, token):
        http.add("GET", f"{API}/AccountTransactions", status=204)
        assert (
            client.find_voucher_by_reference(
                external_import_reference="lb-1-mj-9", voucher_date=dt.date(2025, 1, 31)
            )
            is None
        )

    def test_pdf_is_uploaded_as_multipart_file(self, client, http, token):
        http.add("PUT", f"{API}/VoucherDocumentation", status=204)
        client.upload_voucher_pdf(VOUCHER_ID, b"%PDF-1.4 invoice", "10023.pdf")
        sent = sent_requests(http, "PUT", "/VoucherDocumentation")[0]
        assert sent.params["id"] == VOUCHER_ID
        assert (
            b'name="file"; filename="10023.pdf"' in sent.body and b"%PDF-1.4 invoice" in sent.body
        )

    def test_documentation_download_returns_the_zip_bytes(self, client, http, token):
        http.add(
            "GET",
            f"{API}/VoucherDocumentation/Download",
            body=b"PK\x03\x04zip",
            content_type="application/zip",
        )
        assert client.download_voucher_documentation(VOUCHER_ID) == b"PK\x03\x04zip"

    def test_account_transactions_send_the_window_and_ranges(self, client, http, token):
        http.add("GET", f"{API}/AccountTransactions", json=[{"Id": 1, "AccountNo": 4000}])
        rows = list(
            client.list_account_transactions(
                from_date=dt.date(2025, 1, 1),
                to_date=dt.date(2025, 1, 2),
                account_numbers="4000-",
                project_codes=["P1"],
            )
        )
        assert rows == [{"Id": 1, "AccountNo": 4000}]
        params = sent_requests(http, "GET", "/AccountTransactions")[0].params
        assert params["accountNos"] == "4000-" and params["projectCodes"] == "P1"

    def test_number_series_filter_and_vat_codes(self, client, http, token):
        http.add(
            "GET",
            f"{API}/SubLedgerNumberSeries",
            json=[{"FromInclusive": 10000, "ToInclusive": 19999}],
        )
        http.add("GET", f"{API}/VatCodes", json=[{"Id": 3, "Code": "3", "Rate": 25.0}])
        assert (
            next(client.list_sub_ledger_number_series(series_type="Customer"))["FromInclusive"]
            == 10000
        )
        assert next(client.list_vat_codes(active=True))["Code"] == "3"
        assert sent_requests(http, "GET", "/VatCodes")[0].params["isActive"] == "true"


class TestRateLimit:
    def test_clients_with_one_subscription_key_share_one_budget(self, po_settings):
        def make(client_key):
            return PowerOfficeClient(
                application_key=APPLICATION_KEY,
                client_key=client_key,
                subscription_key=SUBSCRIPTION_KEY,
                mode="demo",
            )

        first, second = make(CLIENT_KEY), make("11111111-2222-4333-8444-555555555555")
        assert first.rate_limiter is second.rate_limiter
        assert first.rate_limiter is get_rate_limiter("poweroffice", 10.0)
        assert first._budget == second._budget


class TestContractCheck:
    def test_a_drifted_payload_fails_the_contract_check(self, client, http, token):
        http.add("POST", f"{API}/Customers", status=201, json=captured("customer_created.json"))
        client.create_customer({**CUSTOMER, "CustomerName": "renamed field"})
        with pytest.raises(AssertionError, match="'CustomerName' was unexpected"):
            assert_requests_match_contract(http)
        http.calls.reset()  # the autouse check would report the same drift again
