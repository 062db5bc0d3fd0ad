"""The invoice PDF: a Norwegian invoice's contents, in the client's language, with its logo."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from accounting.pdf import invoice_pdf_bytes
from accounting.services import invoice_credit, invoice_finalize, record_save
from tests.factories import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    VatCodeFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def invoice():
    client = ClientFactory(
        name="Fjordkraft Rådgivning AS", organization_number="999888771",
        address_line1="Strandgata 1", postcode="5003", city="Bergen",
        bank_account="1503.12.34567", invoice_language="nb",
    )  # fmt: skip
    customer = CustomerFactory(
        client=client, number=10001, name="Kunde Ærlig AS", organization_number="912345678",
        address_line1="Bryggen 2", postcode="5004", city="Bergen",
    )  # fmt: skip
    invoice = InvoiceFactory(client=client, customer=customer, invoice_date=date(2026, 3, 2))
    high = AccountFactory(client=client, number=3000)  # 25 %
    low = AccountFactory(client=client, number=3030,
                         vat_code=VatCodeFactory(client=client, code="31", rate=Decimal("15")))
    InvoiceLineFactory(invoice=invoice, description="Rådgivning", account=high,
                       quantity=Decimal("10"), unit_price=Decimal("1553.39"))
    InvoiceLineFactory(invoice=invoice, description="Servering", account=low,
                       quantity=Decimal("1"), unit_price=Decimal("1000"))
    return invoice_finalize(invoice=invoice, by=None)


def test_finalize_attaches_a_norwegian_invoice_with_every_required_part(invoice):
    text = pdf_text(invoice.pdf.read())
    for part in (
        "FAKTURA", "Fjordkraft Rådgivning AS", "Strandgata 1", "5003 Bergen",
        "Org.nr. 999 888 771 MVA", "Foretaksregisteret",
        "Kunde Ærlig AS", "Bryggen 2", "Org.nr. 912 345 678",
        f"Fakturanummer {invoice.number}", "Fakturadato 02.03.2026",
        f"Forfallsdato {invoice.due_date:%d.%m.%Y}", f"KID {invoice.kid}",
        "Kontonummer 1503.12.34567", "Rådgivning", "Servering",
    ):
        assert part in text, part
    # VAT per rate: 25 % on 15 533,90 and 15 % on 1 000,00; the totals.
    nbsp = "\u00a0"
    assert f"25 % 15{nbsp}533,90 3{nbsp}883,48" in text
    assert f"15 % 1{nbsp}000,00 150,00" in text
    assert f"Å betale (NOK) 20{nbsp}567,38" in text


def test_a_credit_note_names_the_invoice_it_credits(invoice):
    credit_note = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
    text = pdf_text(credit_note.pdf.read())
    assert "KREDITNOTA" in text
    assert f"krediterer faktura {invoice.number} av 02.03.2026" in text
    assert "-20" in text and "Å kreditere" in text


def test_the_client_language_decides_the_pdf_language(invoice):
    invoice.client.invoice_language = "en"
    record_save(record=invoice.client)
    text = pdf_text(invoice_pdf_bytes(invoice))
    assert "INVOICE" in text and "FAKTURA" not in text
    assert "Org. no. 999 888 771 MVA" in text and "Foretaksregisteret" in text
    assert "Total to pay (NOK) 20,567.38" in text


def test_the_client_logo_is_printed_when_uploaded(invoice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    without_logo = PdfReader(io.BytesIO(invoice_pdf_bytes(invoice)))
    assert not without_logo.pages[0].images
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buffer, format="PNG")
    invoice.client.logo = SimpleUploadedFile("logo.png", buffer.getvalue(), "image/png")
    invoice.client.save()
    with_logo = PdfReader(io.BytesIO(invoice_pdf_bytes(invoice)))
    assert len(with_logo.pages[0].images) == 1
