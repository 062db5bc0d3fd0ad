"""Issue 10 end to end: a source system pushes a customer and an invoice with lines and its own
PDF through the inbound API with a token, finalizes it, and the voucher and PDF arrive in the
PowerOffice Go sandbox over HTTP exactly once; the transfer status read back through the API
says succeeded, with the PowerOffice id."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache

from integrations.poweroffice import sandbox
from integrations.poweroffice.lookups import lookups_clear
from tests.api.conftest import Api
from tests.factories import VatCodeFactory
from tests.factories.api import ApiTokenFactory
from tests.factories.integrations import ConnectionFactory

from .test_poweroffice_exports import process_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% the source system's own invoice layout\n%%EOF\n"


@pytest.fixture
def api(po_sandbox, settings):
    """A token of a client whose PowerOffice Go connection (sandbox mode) uses the sandbox."""
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    cache.clear()
    lookups_clear()
    connection = ConnectionFactory(secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY})
    VatCodeFactory(client=connection.client, code="3")
    yield Api(ApiTokenFactory(client=connection.client))
    lookups_clear()
    cache.clear()


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def invoice_document() -> dict:
    return {
        "customer_number": 10001,
        "invoice_date": "2026-03-02",
        "your_reference": "PO-77",
        "lines": [
            {"description": "Consulting", "account_number": 3000, "quantity": "2",
             "unit_price": "950.00"},
            {"description": "Travel", "account_number": 3000, "unit_price": "100.00"},
        ],
        "pdf": {"filename": "10001.pdf", "content_base64": base64.b64encode(PDF).decode()},
    }


def test_invoice_pushed_through_the_api_arrives_in_poweroffice_once(api, po_sandbox):
    account = {"name": "Sales", "external_vat_code": "3", "vat_code": "3"}
    ok(api.put("/accounts/3000", account), status=201)
    ok(api.put("/customers/10001", {"name": "Fjord Consulting AS",
                                    "organization_number": "923456783"}), status=201)
    draft = ok(api.post("/invoices", invoice_document(), key="inv-1"), status=201)

    finalize = f"/invoices/{draft['id']}/finalize"
    invoice = ok(api.post(finalize, key="fin-1"))  # commits: the transfer runs at once
    replay = api.post(finalize, key="fin-1")
    assert replay["Idempotent-Replayed"] == "true"
    process_until_done()

    state = po_sandbox.books()
    [voucher] = state.vouchers.values()
    assert voucher["InvoiceNo"] == str(invoice["number"])
    assert voucher["CurrencyAmount"] == 2500.0  # (2 × 950 + 100) + 25 % VAT
    assert voucher["Cid"] == invoice["kid"]
    assert state.documents[voucher["Id"]][1] == PDF
    [customer] = state.register("Customers").rows.values()
    assert customer["Name"] == "Fjord Consulting AS"
    posts = [r for r in po_sandbox.requests("/Vouchers/OutgoingInvoiceJournals")
             if r["method"] == "POST"]
    assert len(posts) == 1

    status = ok(api.get(f"/invoices/{draft['id']}/transfers"))
    [transfer] = [t for t in status["transfers"] if t["kind"] == "invoice"]
    assert (transfer["status"], transfer["external_id"]) == ("succeeded", str(voucher["Id"]))
    assert status["links"][0]["system"] == "poweroffice"
    assert status["links"][0]["external_id"] == str(voucher["Id"])
