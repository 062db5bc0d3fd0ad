"""The Visma Business batch file: pure generator and the admin download per client and range."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounting.services import invoice_finalize
from integrations.azets.services import visma_file_for
from integrations.azets.visma_file import ActorRow, visma_batch_file
from tests.e2e.azets_helpers import draft_invoice, make_books
from tests.factories.accounting import UserFactory

VOUCHER = {
    "invoiceNo": "10023", "description": "Consulting", "customerNo": "1001",
    "invoiceDate": "2025-01-31", "dueDate": "2025-02-14", "paymentId": "0001002347",
    "yourReference": 'Kari "K" N', "currency": "NOK",
    "dimensions": {"project": {"orgUnit": 8, "value": "P-200"},
                   "department": {"orgUnit": 1, "value": "10"}},
    "lines": [
        {"accountNo": "3000", "vatCode": "3", "netAmount": "1500.00", "vatAmount": "375.00",
         "description": "Sales"},
        {"accountNo": "3100", "vatCode": "31", "netAmount": "200.00", "vatAmount": "30.00",
         "description": "Food"},
    ],
}


def test_file_has_firm_actors_batch_and_one_voucher_row_per_account():
    text = visma_batch_file(firm_no="42", actors=[ActorRow("1001", "Fjord AS", city="Oslo")],
                            vouchers=[VOUCHER], description="Jan", value_date="2025-01-31")
    lines = text.split("\r\n")
    assert lines[:3] == ["@Firm (FirmNo)", "42",
                         "@Actor (CustNo,Nm,Ad1,Ad2,PNo,PArea,Ctry,BsNo,MailAd)"]
    assert lines[3].startswith('1001;"Fjord AS";"";"";"";"Oslo";"NO"')
    assert lines[4:6] == ["@WaBnd (VoTp,Descr,ValDt)", '1;"Jan";20250131']
    assert lines[6].endswith(",CrAcNo,CrTrnCl,R1,R8,CrTxCd,DbTrnCl,DbTxCd)")
    assert lines[7] == ('10023;20250131;1;"Sales";1001;1875.00;10023;"Kari ""K"" N";1001;20250214;'
                        '0001002347;20250131;NOK;;1875.00;3000;3;10;"P-200";3;1;')
    assert lines[8].split(";")[5] == "230.00" and lines[8].split(";")[15] == "3100"
    assert text.endswith("\r\n")


@pytest.mark.django_db
def test_file_for_a_client_holds_the_invoices_of_the_range_only():
    books = make_books(project_dimension=3)
    inside = invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 1, 15)), by=None)
    invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 2, 1)), by=None)

    name, text = visma_file_for(settings=books.settings, date_from=date(2025, 1, 1),
                                date_to=date(2025, 1, 31))

    assert name == "visma-42-20250101-20250131.txt"
    voucher_rows = [line for line in text.split("\r\n") if line[:1].isdigit() and ";" in line
                    and line.split(";")[1].startswith("2025")]
    assert {row.split(";")[0] for row in voucher_rows} == {str(inside.number)}
    assert len(voucher_rows) == 2  # accounts 3000 and 3100


@pytest.mark.django_db
def test_file_reads_the_books_in_a_fixed_number_of_queries():
    books = make_books(project_dimension=3)

    def queries_for_a_month():
        with CaptureQueriesContext(connection) as queries:
            visma_file_for(settings=books.settings, date_from=date(2025, 1, 1),
                           date_to=date(2025, 1, 31))
        return len(queries)

    invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 1, 10)), by=None)
    one = queries_for_a_month()
    for day in (11, 12, 13):
        invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 1, day)), by=None)
    assert queries_for_a_month() == one


@pytest.mark.django_db
class TestAdminDownload:
    def test_staff_downloads_the_file(self, client):
        books = make_books()
        invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 1, 15)), by=None)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        url = reverse("admin:azets_visma_file")

        assert client.get(url).status_code == 200
        response = client.post(url, {"settings": books.settings.pk, "date_from": "2025-01-01",
                                     "date_to": "2025-01-31"})

        assert response.status_code == 200
        assert "visma-42-20250101-20250131.txt" in response["Content-Disposition"]
        assert response.content.startswith(b"@Firm (FirmNo)\r\n42\r\n")

    def test_missing_vat_code_is_reported_not_downloaded(self, client):
        books = make_books()
        invoice = invoice_finalize(invoice=draft_invoice(books, invoice_date=date(2025, 1, 15)),
                                   by=None)
        books.sales.external_vat_code = ""
        books.sales.save()
        client.force_login(UserFactory(is_staff=True, is_superuser=True))

        response = client.post(reverse("admin:azets_visma_file"), {
            "settings": books.settings.pk, "date_from": "2025-01-01", "date_to": "2025-01-31"},
            follow=True)

        assert "Content-Disposition" not in response
        assert f"Invoice {invoice.number} line 1: account 3000 has no external VAT code" in (
            response.content.decode())

    def test_staff_without_permission_is_refused(self, client):
        client.force_login(UserFactory(is_staff=True))
        assert client.get(reverse("admin:azets_visma_file")).status_code == 403
