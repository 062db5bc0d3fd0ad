"""The invoice's own page: finalize and credit buttons (same services and checks as the list
actions), a lines table that stays inside the page, and the payment status of credited invoices."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.urls import reverse

from accounting.models import Invoice
from accounting.roles import ACCOUNTANTS
from accounting.services import invoice_credit, invoice_finalize, payment_record
from tests.factories import (
    FinalizedInvoiceFactory,
    InvoiceFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


def change_url(invoice):
    return reverse("admin:accounting_invoice_change", args=[invoice.pk])


class TestFinalizeButton:
    def test_draft_page_offers_finalize_and_the_button_finalizes(self, superuser_client):
        invoice = InvoiceFactory(lines=2)
        page = superuser_client.get(change_url(invoice)).content.decode()
        finalize_url = reverse("admin:accounting_invoice_finalize", args=[invoice.pk])
        assert f'action="{finalize_url}"' in page
        assert "Create credit note" not in page

        response = superuser_client.post(finalize_url, follow=True)

        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.FINALIZED and invoice.number == 10001
        assert response.redirect_chain[-1][0] == change_url(invoice)
        assert "1 invoice finalized and queued for transfer." in response.content.decode()

    def test_button_reports_the_same_refusal_as_the_list_action(self, superuser_client):
        invoice = InvoiceFactory()  # no lines
        response = superuser_client.post(
            reverse("admin:accounting_invoice_finalize", args=[invoice.pk]), follow=True
        )
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.DRAFT
        assert f"Draft invoice (id {invoice.pk}): it has no lines." in response.content.decode()

    def test_finalize_is_post_only(self, superuser_client):
        invoice = InvoiceFactory(lines=1)
        response = superuser_client.get(
            reverse("admin:accounting_invoice_finalize", args=[invoice.pk])
        )
        assert response.status_code == 405
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.DRAFT

    def test_accountant_sees_no_button_and_is_refused(self, client):
        accountant = UserFactory()
        accountant.groups.add(Group.objects.get(name=ACCOUNTANTS))
        client.force_login(accountant)
        invoice = InvoiceFactory(lines=1)
        page = client.get(change_url(invoice)).content.decode()
        assert "Finalize invoice" not in page
        response = client.post(reverse("admin:accounting_invoice_finalize", args=[invoice.pk]))
        assert response.status_code == 403
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.DRAFT


class TestCreditButton:
    def test_finalized_invoice_offers_credit_and_the_button_opens_the_draft(
        self, superuser_client
    ):
        invoice = FinalizedInvoiceFactory()
        page = superuser_client.get(change_url(invoice)).content.decode()
        assert "Create credit note" in page and "Finalize invoice" not in page

        response = superuser_client.post(
            reverse("admin:accounting_invoice_credit", args=[invoice.pk]), follow=True
        )

        credit_note = Invoice.objects.get(credited_invoice=invoice)
        assert response.redirect_chain[-1][0] == change_url(credit_note)
        assert credit_note.totals.amount_incl_vat == Decimal("-1250.00")
        content = response.content.decode()
        assert "1 draft credit note created; check and finalize it." in content
        assert "Finalize credit note" in content

    def test_draft_cannot_be_credited_from_its_page(self, superuser_client):
        invoice = InvoiceFactory(lines=1)
        response = superuser_client.post(
            reverse("admin:accounting_invoice_credit", args=[invoice.pk])
        )
        assert response.status_code == 403
        assert not Invoice.objects.filter(credited_invoice=invoice).exists()

    def test_credit_note_page_offers_no_credit(self, superuser_client):
        credit_note = invoice_credit(invoice=FinalizedInvoiceFactory(), by=None)
        invoice_finalize(invoice=credit_note, by=None)
        page = superuser_client.get(change_url(credit_note)).content.decode()
        assert "Create credit note" not in page


def test_lines_table_scrolls_inside_the_page(superuser_client):
    invoice = InvoiceFactory(lines=1)
    page = superuser_client.get(change_url(invoice)).content.decode()
    assert "accounting/css/invoice_admin.css" in page
    with open(finders.find("accounting/css/invoice_admin.css"), encoding="utf-8") as css_file:
        css = css_file.read()
    assert "overflow-x: auto" in css


class TestCreditedPaymentStatus:
    def test_fully_credited_invoice_is_credited_not_partly_paid(self, superuser_client):
        invoice = FinalizedInvoiceFactory()
        credit_note = invoice_credit(invoice=invoice, by=None)
        invoice_finalize(invoice=credit_note, by=None)

        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.CREDITED
        page = superuser_client.get(reverse("admin:accounting_invoice_changelist")).content
        cells = re.findall(rb'<td class="field-payment_status_display">([^<]*)</td>', page)
        assert cells == ["—".encode(), b"Credited"]  # the credit note, then the invoice

    def test_partly_credited_invoice_is_paid_when_payments_cover_the_rest(self):
        invoice = FinalizedInvoiceFactory(lines=2)  # 2 × 1250.00 incl. VAT
        credit_note = invoice_credit(invoice=invoice, by=None)
        credit_note.lines.order_by("line_no").last().delete()
        invoice_finalize(invoice=credit_note, by=None)  # credits 1250.00

        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.UNPAID
        payment_record(payment=PaymentFactory.build(
            client=invoice.client, invoice=invoice, amount=Decimal("1250.00")
        ))  # fmt: skip
        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PAID

    def test_a_payment_short_of_the_uncredited_rest_is_partly_paid(self):
        invoice = FinalizedInvoiceFactory(lines=1)
        payment_record(payment=PaymentFactory.build(
            client=invoice.client, invoice=invoice, amount=Decimal("250.00")
        ))  # fmt: skip
        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PARTLY_PAID
