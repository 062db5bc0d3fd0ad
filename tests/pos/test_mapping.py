"""pos_sale_payload: one sales-order line per VAT rate on the mapped product, gratuity, invoice
fee and note; every payload must match SalesOrderCompletePostDto in the contract."""

from decimal import Decimal

import pytest

from accounting.references import DocumentKind, document_reference
from integrations.errors import DataError
from integrations.poweroffice import contract
from integrations.poweroffice.pos import pos_sale_payload, pos_sale_reference
from tests.factories.pos import PosSaleFactory, PosSettingsFactory

pytestmark = pytest.mark.django_db


def payload_for(sale, settings, customer_id=5001):
    payload = pos_sale_payload(sale, settings=settings, customer_id=customer_id)
    as_json = contract_json(payload)
    contract.validate_request("POST", "/SalesOrders/Complete", as_json)
    return payload


def contract_json(payload):
    from integrations.poweroffice.client import _plain

    return _plain(payload)


def lines_by_product(payload):
    return {line.get("ProductId"): line for line in payload["SalesOrderLines"]}


@pytest.fixture
def settings_():
    return PosSettingsFactory()


def sale_for(settings, **kwargs):
    """A sale as the nightly batch sends it: with the reference it gets when first batched."""
    sale = PosSaleFactory(client=settings.client, **kwargs)
    sale.transfer_reference = document_reference(
        client=settings.client, kind=DocumentKind.POS_SALE, number=sale.number
    )
    return sale


@pytest.mark.parametrize(("rate", "product_id"), [(0, 33), (12, 32), (15, 31), (25, 30)])
def test_each_vat_rate_goes_on_its_mapped_product_including_vat(settings_, rate, product_id):
    sale = sale_for(settings_, lines=[("200.00", rate), ("50.50", rate)])
    line = lines_by_product(payload_for(sale, settings_))[product_id]
    assert line["ProductUnitPrice"] == Decimal("250.50")
    assert line["Quantity"] == 1


def test_mixed_sale_has_one_line_per_vat_rate(settings_):
    sale = sale_for(settings_, lines=[("125.00", 25), ("115.00", 15), ("25.00", 25), ("0", 0)])
    payload = payload_for(sale, settings_)
    sale_lines = [line for line in payload["SalesOrderLines"] if line.get("ProductId") in (30, 31)]
    assert [(line["ProductId"], line["ProductUnitPrice"]) for line in sale_lines] == [
        (30, Decimal("150.00")), (31, Decimal("115.00"))]
    assert 33 not in lines_by_product(payload)  # a rate summing to zero adds no line


@pytest.mark.parametrize(("rate", "incl", "excl"), [
    (25, "125.00", "100.00"), (15, "115.00", "100.00"), (12, "112.00", "100.00"),
    (0, "99.99", "99.99"), (25, "10.00", "8.00"),
])
def test_amounts_excluding_vat_are_split_when_configured(rate, incl, excl):
    settings = PosSettingsFactory(send_amounts_excluding_vat=True)
    sale = sale_for(settings, lines=[(incl, rate)])
    product_id = settings.product_id_for(rate)
    line = lines_by_product(payload_for(sale, settings))[product_id]
    assert line["ProductUnitPrice"] == Decimal(excl)


def test_gratuity_goes_on_the_gratuity_product(settings_):
    sale = sale_for(settings_, gratuity_amount=Decimal("45.00"))
    line = lines_by_product(payload_for(sale, settings_))[34]
    assert line["ProductUnitPrice"] == Decimal("45.00")


def test_no_gratuity_line_without_a_tip(settings_):
    sale = sale_for(settings_)
    assert 34 not in lines_by_product(payload_for(sale, settings_))


def test_gratuity_without_a_gratuity_product_is_refused_naming_the_sale():
    settings = PosSettingsFactory(gratuity_product_id=None)
    sale = sale_for(settings, number="7788", gratuity_amount=Decimal("10"))
    with pytest.raises(DataError, match="POS sale 7788: gratuity 10.00 but no gratuity product"):
        pos_sale_payload(sale, settings=settings, customer_id=1)


def test_invoice_fee_without_override_leaves_the_price_to_poweroffice(settings_):
    line = lines_by_product(payload_for(sale_for(settings_), settings_))[7]
    assert line["LineType"] == "InvoiceFee"
    assert "ProductUnitPrice" not in line


def test_invoice_fee_override_sets_the_price():
    settings = PosSettingsFactory(invoice_fee_amount=Decimal("39"))
    line = lines_by_product(payload_for(sale_for(settings), settings))[7]
    assert line["ProductUnitPrice"] == Decimal("39.00")


def test_no_invoice_fee_product_means_no_fee_line():
    settings = PosSettingsFactory(invoice_fee_product_id=None)
    assert 7 not in lines_by_product(payload_for(sale_for(settings), settings))


def test_note_becomes_a_text_line_last(settings_):
    sale = sale_for(settings_, note="Bord 12, firmamiddag")
    last = payload_for(sale, settings_)["SalesOrderLines"][-1]
    assert last == {"Description": "Bord 12, firmamiddag", "LineType": "Text", "SortOrder": 3}


def test_missing_product_id_for_a_rate_is_refused_naming_sale_and_rate():
    settings = PosSettingsFactory(product_id_vat_15=None)
    sale = sale_for(settings, number="4411", lines=[("115.00", 15)])
    with pytest.raises(DataError, match=r"POS sale 4411: no PowerOffice Go product id for 15 %"):
        pos_sale_payload(sale, settings=settings, customer_id=1)


def test_header_carries_customer_date_reference_and_draft_status(settings_):
    sale = sale_for(settings_, number="123456")
    payload = payload_for(sale, settings_, customer_id=9001)
    assert payload["CustomerId"] == 9001
    assert payload["SalesOrderDate"] == "2025-03-14"
    assert payload["SalesOrderStatus"] == "Draft"
    assert payload["ImportedOrderNo"] == 123456
    code = settings_.client.reference_code
    assert payload["ExternalImportReference"] == f"LB-{code}-POS-123456"
    assert pos_sale_reference(sale) == payload["ExternalImportReference"]


def test_send_to_customer_confirms_the_order():
    settings = PosSettingsFactory(send_to_customer=True)
    assert payload_for(sale_for(settings), settings)["SalesOrderStatus"] == "Confirmed"


def test_returns_keep_their_negative_amount(settings_):
    sale = sale_for(settings_, lines=[("-125.00", 25)])
    assert lines_by_product(payload_for(sale, settings_))[30]["ProductUnitPrice"] == Decimal(
        "-125.00")
