import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounting import models
from accounting.demo import DEMO_ADMIN_DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

COUNTED = (
    models.Client, models.VatCode, models.Account, models.Department, models.Customer,
    models.Project, models.Invoice, models.InvoiceLine,
)  # fmt: skip


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_demo_setup_twice_creates_nothing_twice(capsys, monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    call_command("demo_setup")
    first = counts()
    call_command("demo_setup")
    assert counts() == first
    assert first["Client"] == 1 and first["Customer"] == 3 and first["Invoice"] == 3
    assert get_user_model().objects.filter(username="admin", is_superuser=True).count() == 1
    assert f"user admin, password {DEMO_ADMIN_DEFAULT_PASSWORD}" in capsys.readouterr().out


def test_demo_has_two_finalized_invoices_with_pdfs_and_one_credit_note():
    call_command("demo_setup")
    finalized = models.Invoice.objects.filter(state=models.Invoice.State.FINALIZED)
    invoices = [invoice for invoice in finalized if not invoice.is_credit_note]
    credit_notes = [invoice for invoice in finalized if invoice.is_credit_note]
    assert len(invoices) == 2 and len(credit_notes) == 1
    for invoice in invoices:
        content = invoice.pdf.read()
        assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert (
        credit_notes[0].totals.amount_incl_vat
        == -credit_notes[0].credited_invoice.totals.amount_incl_vat
    )


def test_admin_password_comes_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "another-demo-pass")
    call_command("demo_setup")
    assert client.login(username="admin", password="another-demo-pass")


def test_demo_lists_an_account_without_external_vat_code():
    from accounting.selectors import accounts_missing_vat_code

    call_command("demo_setup")
    client = models.Client.objects.get()
    assert list(accounts_missing_vat_code(client=client).values_list("number", flat=True)) == [3900]
