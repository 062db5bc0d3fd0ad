"""The contract copy in the repository and the request validator built on it."""

import filecmp
from pathlib import Path

import pytest

from integrations.poweroffice import contract

SHARED_COPY = Path(__file__).resolve().parents[3].parent / "shared/poweroffice-go-v2/contract.json"


@pytest.mark.skipif(not SHARED_COPY.exists(), reason="no ../shared checkout beside the repository")
def test_repository_copy_is_identical_to_the_shared_contract():
    assert filecmp.cmp(contract.CONTRACT_PATH, SHARED_COPY, shallow=False), (
        f"{contract.CONTRACT_PATH} differs from {SHARED_COPY}: copy the shared file over it"
    )


class TestResolve:
    def test_concrete_url_resolves_to_its_template(self):
        key, params = contract.resolve(
            "PATCH", "https://goapi.poweroffice.net/Demo/v2/Customers/123"
        )
        assert (key, params) == ("PATCH /Customers/{id}", {"id": "123"})

    def test_literal_path_wins_over_a_template(self):
        assert (
            contract.resolve("GET", "/v2/SalesOrders/sentState?id=x")[0]
            == "GET /SalesOrders/sentState"
        )

    def test_path_matching_ignores_case_like_the_gateway(self):
        assert contract.resolve("get", "/v2/customers")[0] == "GET /Customers"

    def test_unknown_operation_is_reported(self):
        with pytest.raises(contract.UnknownOperation):
            contract.resolve("POST", "/v2/Invoices")


class TestValidateRequest:
    def test_valid_customer_post_returns_the_operation(self):
        body = {
            "Name": "Fjord AS",
            "Number": 10001,
            "MailAddress": {"City": "Oslo", "ZipCode": "0150"},
        }
        assert contract.validate_request("POST", "/v2/Customers", body) == "POST /Customers"

    def test_unknown_property_and_wrong_type_are_both_listed(self):
        with pytest.raises(contract.ContractViolation) as caught:
            contract.validate_request("POST", "/Customers", {"Name": 5, "Colour": "red"})
        text = str(caught.value)
        assert "'Colour' was unexpected" in text and "Name: 5 is not of type" in text

    def test_nested_required_fields_are_checked(self):
        with pytest.raises(contract.ContractViolation, match="ZipCode"):
            contract.validate_request(
                "POST", "/Customers", {"Name": "A", "MailAddress": {"City": "Oslo"}}
            )

    def test_read_only_properties_of_the_inferred_voucher_post_are_refused(self):
        body = {
            "Id": "0b8a3c1e-7d2f-4d8e-9a1b-1c2d3e4f5a6b",
            "VoucherDate": "2025-01-31",
            "CurrencyAmount": 1,
        }
        with pytest.raises(contract.ContractViolation, match="Id: read-only"):
            contract.validate_request("POST", "/Vouchers/OutgoingInvoiceJournals", body)

    def test_query_parameters_are_checked_by_name_type_and_requirement(self):
        with pytest.raises(contract.ContractViolation) as caught:
            contract.validate_request("GET", "/v2/AccountTransactions?fromDate=2025-13-01&colour=1")
        errors = caught.value.errors
        assert any("fromDate" in e and "date" in e for e in errors)
        assert any("'colour' is not in the contract" in e for e in errors)
        assert any("'toDate' is missing" in e for e in errors)

    def test_path_parameter_type_is_checked(self):
        with pytest.raises(contract.ContractViolation, match="id='abc'"):
            contract.validate_request("GET", "/v2/Customers/abc")

    def test_get_with_a_body_is_refused(self):
        with pytest.raises(contract.ContractViolation, match="takes no request body"):
            contract.validate_request("GET", "/v2/Customers", {"Name": "x"})


class TestJsonPatch:
    def test_allowed_top_level_nested_and_array_paths_pass(self):
        patch = [
            {"op": "replace", "path": "/Name", "value": "Fjord AS"},
            {"op": "replace", "path": "/MailAddress/City", "value": "Bergen"},
            {"op": "add", "path": "/ContactGroupIds/-", "value": 4},
            {"op": "remove", "path": "/WebsiteUrl"},
        ]
        assert (
            contract.validate_request("PATCH", "/v2/Customers/7", patch) == "PATCH /Customers/{id}"
        )

    def test_property_that_cannot_be_patched_is_refused(self):
        with pytest.raises(
            contract.ContractViolation, match="'SubledgerAccountId' cannot be patched"
        ):
            contract.validate_request(
                "PATCH",
                "/v2/Customers/7",
                [{"op": "replace", "path": "/SubledgerAccountId", "value": 1}],
            )

    def test_camel_case_path_is_refused_because_we_send_pascal_case(self):
        with pytest.raises(contract.ContractViolation, match="'name' cannot be patched"):
            contract.validate_request(
                "PATCH", "/v2/Customers/7", [{"op": "replace", "path": "/name", "value": "x"}]
            )

    def test_unknown_nested_property_and_missing_value_are_refused(self):
        patch = [
            {"op": "replace", "path": "/MailAddress/Planet", "value": "Mars"},
            {"op": "add", "path": "/Name"},
        ]
        with pytest.raises(contract.ContractViolation) as caught:
            contract.validate_request("PATCH", "/v2/Customers/7", patch)
        assert len(caught.value.errors) == 2


class TestRawRequests:
    def test_patch_sent_as_plain_json_is_refused(self):
        with pytest.raises(
            contract.ContractViolation, match="Content-Type application/json is not accepted"
        ):
            contract.validate_http_request(
                "PATCH", "http://h/v2/Customers/1", "application/json", b"[]"
            )

    def test_multipart_upload_needs_the_file_field(self):
        body = (
            b'--b\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\n'
            b"\r\n%PDF\r\n--b--\r\n"
        )
        with pytest.raises(contract.ContractViolation, match="form field 'file' is missing"):
            contract.validate_http_request(
                "PUT",
                "http://h/v2/VoucherDocumentation?id=0b8a3c1e-7d2f-4d8e-9a1b-1c2d3e4f5a6b",
                "multipart/form-data; boundary=b",
                body,
            )

    def test_token_request_problems_are_listed(self):
        errors = contract.token_request_errors("POST", {"Content-Type": "application/json"}, b"{}")
        assert len(errors) == 4
