"""Invoices and credit notes through the API: drafts with lines and PDF, finalize, credit."""

import base64
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting.models import Invoice
from integrations.models import ExternalLink, Transfer
from tests.factories import AccountFactory, CustomerFactory, FinalizedInvoiceFactory, ProjectFactory
from tests.factories.integrations import TransferFactory

from .conftest import pointers, problem

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% our own invoice layout\n%%EOF\n"


@pytest.fixture
def books(api):
    """A customer, a project and a sales account (25 % VAT, external code 3) of the client."""
    customer = CustomerFactory(client=api.client, number=10001)
    ProjectFactory(client=api.client, number="P-1", customer=customer)
    AccountFactory(client=api.client, number=3000)
    return api


def draft(**overrides) -> dict:
    body = {
        "customer_number": 10001,
        "project_number": "P-1",
        "your_reference": "PO-77",
        "lines": [
            {"description": "Consulting", "account_number": 3000, "quantity": "2",
             "unit_price": "500.00"},
            {"description": "Travel", "account_number": 3000, "unit_price": 100},
        ],
    }
    return {**body, **overrides}


def create(api, body) -> dict:
    response = api.post("/invoices", body)
    assert response.status_code == 201, response.content
    return response.json()


class TestCreate:
    def test_draft_with_lines_gets_amounts_from_the_accounts_vat_rate(self, books):
        invoice = create(books, draft())
        assert (invoice["state"], invoice["number"], invoice["is_credit_note"]) == (
            "draft", None, False)
        assert [line["line_no"] for line in invoice["lines"]] == [1, 2]
        assert invoice["amount_excl_vat"] == "1100.00"
        assert invoice["vat_amount"] == "275.00"
        assert invoice["amount_incl_vat"] == "1375.00"

    def test_pdf_sent_as_base64_is_stored_and_kept_when_finalized(self, books):
        pdf = {"filename": "10001.pdf", "content_base64": base64.b64encode(PDF).decode()}
        invoice = create(books, draft(pdf=pdf))
        assert invoice["has_pdf"] is True
        books.post(f"/invoices/{invoice['id']}/finalize")
        stored = Invoice.objects.get(pk=invoice["id"])
        assert stored.pdf.read() == PDF

    def test_pdf_that_is_not_base64_or_not_a_pdf_is_refused(self, books):
        bad = books.post("/invoices", draft(pdf={"content_base64": "%%%"}))
        assert pointers(bad) == {"#/pdf/content_base64": "This is not valid base64."}
        text = base64.b64encode(b"hello").decode()
        not_pdf = books.post("/invoices", draft(pdf={"content_base64": text}))
        assert pointers(not_pdf) == {"#/pdf/content_base64": "This is not a PDF file."}
        assert not Invoice.objects.filter(client=books.client).exists()

    def test_pdf_uploaded_as_multipart(self, books):
        invoice = create(books, draft())
        upload = SimpleUploadedFile("own.pdf", PDF, content_type="application/pdf")
        response = books.http.post(
            f"/api/v1/invoices/{invoice['id']}/pdf", {"file": upload}, headers=books.headers()
        )
        assert response.status_code == 200, response.content
        assert Invoice.objects.get(pk=invoice["id"]).pdf.read() == PDF

    def test_line_errors_point_at_each_line_and_nothing_is_saved(self, books):
        AccountFactory(client=books.client, number=3100, vat_code=None, external_vat_code="")
        body = draft(lines=[
            {"description": "Fine", "account_number": 3000, "unit_price": 10},
            {"description": "No such account", "account_number": 9999, "unit_price": 10},
            {"description": "No VAT code", "account_number": 3100, "unit_price": 10},
            {"account_number": 3000, "unit_price": 10},
        ])
        first = books.post("/invoices", body)
        assert first.status_code == 422
        assert set(pointers(first)) == {"#/lines/3/description"}  # the document is checked first
        del body["lines"][3]
        response = books.post("/invoices", body)
        assert response.status_code == 422
        errors = pointers(response)
        assert set(errors) == {"#/lines/1/account_number"}
        body["lines"][1]["account_number"] = 3000
        response = books.post("/invoices", body)
        assert set(pointers(response)) == {"#/lines/2/account_number"}
        assert "has no VAT code" in pointers(response)["#/lines/2/account_number"]
        assert not Invoice.objects.filter(client=books.client).exists()

    def test_unknown_customer_is_reported_on_its_field(self, books):
        response = books.post("/invoices", draft(customer_number=424242))
        assert response.status_code == 422
        assert "#/customer_number" in pointers(response)

    def test_malformed_json_is_a_400_problem(self, books):
        response = books.post("/invoices", raw='{"customer_number": 10001,')
        assert response.status_code == 400
        assert problem(response)["type"].endswith("malformed-body")


class TestFinalize:
    def test_finalize_numbers_and_queues_the_invoice_transfer(self, books, connected):
        invoice = create(books, draft())
        response = books.post(f"/invoices/{invoice['id']}/finalize")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["state"] == "finalized"
        assert body["number"] == 10001  # the client's first number
        assert body["kid"] and body["due_date"]
        kinds = list(Transfer.objects.filter(object_id=invoice["id"], kind="invoice")
                     .values_list("operation", "status"))
        assert kinds == [("create", "pending")]

    def test_finalize_records_the_token_that_did_it(self, books):
        invoice = create(books, draft())
        books.post(f"/invoices/{invoice['id']}/finalize")
        stored = Invoice.objects.get(pk=invoice["id"])
        token = books.token
        assert stored.finalized_by is None
        assert stored.finalized_via == f"API token {token.name} ({token.prefix}…)"

    def test_finalized_invoice_cannot_be_edited(self, books):
        invoice = create(books, draft())
        books.post(f"/invoices/{invoice['id']}/finalize")
        response = books.put(f"/invoices/{invoice['id']}", draft(your_reference="changed"))
        assert response.status_code == 422
        assert "cannot be changed" in problem(response)["errors"][0]["detail"]
        stored = Invoice.objects.get(pk=invoice["id"])
        assert (stored.your_reference, stored.lines.count()) == ("PO-77", 2)

    def test_finalizing_twice_is_refused(self, books):
        invoice = create(books, draft())
        books.post(f"/invoices/{invoice['id']}/finalize")
        response = books.post(f"/invoices/{invoice['id']}/finalize")
        assert response.status_code == 422
        assert "already finalized" in problem(response)["errors"][0]["detail"]

    def test_draft_can_be_replaced_before_finalizing(self, books):
        invoice = create(books, draft())
        body = draft(lines=[{"description": "Only", "account_number": 3000, "unit_price": 1}])
        response = books.put(f"/invoices/{invoice['id']}", body)
        assert response.status_code == 200
        assert [line["description"] for line in response.json()["lines"]] == ["Only"]

    def test_another_clients_invoice_is_not_found(self, books, other_api):
        theirs = FinalizedInvoiceFactory(client=other_api.client, lines=1)
        assert books.post(f"/invoices/{theirs.pk}/finalize").status_code == 404
        assert books.get(f"/invoices/{theirs.pk}").status_code == 404


class TestCreditNotes:
    def test_full_credit_of_a_finalized_invoice(self, books):
        invoice = create(books, draft())
        books.post(f"/invoices/{invoice['id']}/finalize")
        response = books.post(f"/invoices/{invoice['id']}/credit")
        assert response.status_code == 201
        note = response.json()
        assert (note["is_credit_note"], note["amount_incl_vat"]) == (True, "-1375.00")
        final = books.post(f"/invoices/{note['id']}/finalize").json()
        assert final["credited_invoice_number"] == books.get(
            f"/invoices/{invoice['id']}").json()["number"]

    def test_partial_credit_note_with_its_own_lines(self, books):
        invoice = create(books, draft())
        number = books.post(f"/invoices/{invoice['id']}/finalize").json()["number"]
        body = draft(credited_invoice_number=number, lines=[
            {"description": "Refund travel", "account_number": 3000, "quantity": -1,
             "unit_price": 100},
        ])
        response = books.post("/credit-notes", body)
        assert response.status_code == 201, response.content
        assert response.json()["amount_incl_vat"] == "-125.00"

    def test_credit_note_for_a_draft_is_refused(self, books):
        invoice = create(books, draft())
        response = books.post(f"/invoices/{invoice['id']}/credit")
        assert response.status_code == 422
        assert "only a finalized invoice" in problem(response)["errors"][0]["detail"]


class TestReadBack:
    def test_list_filters_and_pages(self, books):
        for _ in range(3):
            create(books, draft())
        body = books.get("/invoices", page_size=2, state="draft").json()
        assert (body["count"], len(body["items"])) == (3, 2)

    def test_transfer_status_pending_succeeded_and_failed(self, books, connected):
        invoice = create(books, draft())
        books.post(f"/invoices/{invoice['id']}/finalize")
        pending = books.get(f"/invoices/{invoice['id']}/transfers").json()
        assert [(t["kind"], t["status"]) for t in pending["transfers"]] == [
            ("invoice", "pending")]
        Transfer.objects.filter(object_id=invoice["id"]).update(status="succeeded",
                                                                  external_id="PO-9001")
        ExternalLink.objects.create(connection=connected, object_id=invoice["id"],
                                    content_type=Transfer.objects.get().content_type,
                                    external_id="PO-9001")
        done = books.get(f"/invoices/{invoice['id']}/transfers").json()
        assert done["transfers"][0]["external_id"] == "PO-9001"
        assert done["links"] == [{"system": "azets", "external_id": "PO-9001",
                                  "synced_at": done["links"][0]["synced_at"]}]
        Transfer.objects.update(status="failed", last_error="Account 3000 is unknown")
        failed = books.get("/transfers", kind="invoice", status="failed").json()
        assert failed["items"][0]["reason"] == "Account 3000 is unknown"

    def test_transfers_list_shows_only_the_tokens_client(self, books, other_api):
        TransferFactory()  # another client's
        assert books.get("/transfers").json()["count"] == 0

    def test_amounts_are_decimals_not_floats(self, books):
        invoice = create(books, draft())
        assert Decimal(invoice["lines"][0]["unit_price"]) == Decimal("500.00")


class TestQueryCounts:
    def test_list_reads_lines_once_per_page_not_per_invoice(self, books):
        def queries_for_list():
            with CaptureQueriesContext(connection) as captured:
                assert books.get("/invoices").status_code == 200
            return len(captured)

        create(books, draft())
        with_one = queries_for_list()
        for _ in range(4):
            create(books, draft())
        assert queries_for_list() == with_one
