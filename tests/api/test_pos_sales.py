"""POS sales through the API: record once, refuse bad sales naming the field, read back status."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from pos.models import PosBatch, PosSale
from tests.factories import CustomerFactory
from tests.factories.integrations import TransferFactory
from tests.factories.pos import PosBatchFactory, PosSaleFactory

from .conftest import pointers, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(api):
    """The API of a client with the forced invoice customer 20001."""
    CustomerFactory(client=api.client, number=20001, name="Kontantkunde kafé")
    return api


def sale(**overrides) -> dict:
    body = {
        "number": "R-5001",
        "till": "Bar",
        "sold_at": "2025-03-14T21:05:00+01:00",
        "customer_number": 20001,
        "note": "Bord 4",
        "gratuity_amount": "30.00",
        "lines": [
            {"description": "Pizza", "quantity": "2", "amount_incl_vat": "398.00",
             "vat_rate": 15},
            {"description": "Øl", "amount_incl_vat": "119.00", "vat_rate": 25},
        ],
    }
    return {**body, **overrides}


class TestRecord:
    def test_sale_is_recorded_with_its_lines_and_unsent(self, till):
        response = till.post("/pos-sales", sale())
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["number"], body["status"], body["customer_number"]) == (
            "R-5001", "unsent", 20001)
        assert [(line["amount_incl_vat"], line["vat_rate"]) for line in body["lines"]] == [
            ("398.00", 15), ("119.00", 25)]
        stored = PosSale.objects.get(client=till.client, number="R-5001")
        assert (stored.gratuity_amount, stored.note) == (Decimal("30.00"), "Bord 4")

    def test_same_sale_number_again_returns_the_stored_sale_unchanged(self, till):
        till.post("/pos-sales", sale())
        again = till.post("/pos-sales", sale(note="changed"))
        assert again.status_code == 200
        assert again.json()["note"] == "Bord 4"
        assert PosSale.objects.filter(client=till.client).count() == 1

    def test_replayed_idempotency_key_returns_the_first_answer(self, till):
        first = till.post("/pos-sales", sale(), key="till-1")
        again = till.post("/pos-sales", sale(), key="till-1")
        assert (first.status_code, again.status_code) == (201, 201)
        assert again["Idempotent-Replayed"] == "true"
        other = till.post("/pos-sales", sale(number="R-5002"), key="till-1")
        assert other.status_code == 409
        assert PosSale.objects.filter(client=till.client).count() == 1

    def test_unknown_invoice_customer_is_a_422_on_customer_number(self, till):
        response = till.post("/pos-sales", sale(customer_number=424242))
        assert response.status_code == 422
        assert "invoice customer 424242 does not exist" in pointers(response)["#/customer_number"]
        assert not PosSale.objects.exists()

    def test_another_clients_customer_cannot_be_used(self, till, other_api):
        CustomerFactory(client=other_api.client, number=30001)
        response = till.post("/pos-sales", sale(customer_number=30001))
        assert "#/customer_number" in pointers(response)
        assert not PosSale.objects.exists()

    def test_vat_rate_outside_the_four_rates_is_refused_naming_the_line(self, till):
        lines = [{"amount_incl_vat": "100.00", "vat_rate": 25},
                 {"amount_incl_vat": "100.00", "vat_rate": 24}]
        response = till.post("/pos-sales", sale(lines=lines))
        assert response.status_code == 422
        assert "line 2: VAT rate 24 %" in pointers(response)["#/lines"]
        assert not PosSale.objects.exists()

    def test_sale_without_lines_is_refused(self, till):
        response = till.post("/pos-sales", sale(lines=[]))
        assert pointers(response) == {"#/lines": "POS sale R-5001: the sale has no lines."}

    def test_missing_and_malformed_fields_are_listed_before_anything_is_saved(self, till):
        body = sale(gratuity_amount="lots")
        del body["sold_at"]
        response = till.post("/pos-sales", body)
        assert response.status_code == 422
        assert {"#/sold_at", "#/gratuity_amount"} <= set(pointers(response))
        assert not PosSale.objects.exists()

    def test_malformed_json_is_a_400_problem(self, till):
        response = till.post("/pos-sales", raw='{"number": "R-1",')
        assert response.status_code == 400
        assert problem(response)["type"].endswith("malformed-body")

    def test_wrong_token_is_refused(self, till):
        response = till.post("/pos-sales", sale(), token="lb_not-a-token")
        assert response.status_code == 401
        assert not PosSale.objects.exists()


class TestReadBack:
    def test_one_sale_by_number_and_another_clients_sale_is_not_found(self, till, other_api):
        till.post("/pos-sales", sale())
        assert till.get("/pos-sales/R-5001").json()["till"] == "Bar"
        theirs = PosSaleFactory(client=other_api.client, number="R-9")
        assert till.get(f"/pos-sales/{theirs.number}").status_code == 404

    def test_list_filters_by_status_and_pages(self, till):
        for number in ("A1", "A2", "A3"):
            till.post("/pos-sales", sale(number=number))
        PosSale.objects.filter(number="A3").update(status=PosSale.Status.SENT)
        body = till.get("/pos-sales", status="unsent", page_size=1).json()
        assert (body["count"], len(body["items"])) == (2, 1)

    def test_transfer_status_unsent_then_sent_with_the_poweroffice_id(self, till):
        till.post("/pos-sales", sale())
        unsent = till.get("/pos-sales/R-5001/transfers").json()
        assert (unsent["status"], unsent["batch_date"], unsent["transfers"]) == (
            "unsent", None, [])
        batch = PosBatchFactory(client=till.client)
        transfer = TransferFactory(
            connection__client=till.client, kind="pos_batch", status="succeeded",
            content_type=ContentType.objects.get_for_model(PosBatch), object_id=batch.pk)
        PosSale.objects.filter(number="R-5001").update(batch=batch, status="sent",
                                                       external_id="7001")
        sent = till.get("/pos-sales/R-5001/transfers").json()
        assert (sent["status"], sent["external_id"], sent["batch_date"]) == (
            "sent", "7001", "2025-03-14")
        assert [t["id"] for t in sent["transfers"]] == [transfer.pk]

    def test_failed_sale_shows_the_reason(self, till):
        till.post("/pos-sales", sale())
        PosSale.objects.filter(number="R-5001").update(
            status="failed", error="POS sale R-5001: no PowerOffice Go product id for 15 % VAT")
        body = till.get("/pos-sales/R-5001/transfers").json()
        assert body["status"] == "failed" and "15 % VAT" in body["reason"]
