"""Azets exports end to end: the engine, the real client and the sandbox over HTTP. Switches,
state filters, grouping by account, dimensions, accrual, credit notes, the VAT-code rule, and a
voucher whose answer was lost (no double posting)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounting.services import invoice_credit, invoice_finalize, record_save
from integrations.connections import connection_enable
from integrations.models import Connection, Transfer, TransferKind, TransferStatus

from .azets_helpers import draft_invoice, make_books, retry_now

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=False)]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a domain service and let the engine process what it queued (Django-Q2 sync)."""

    def runner(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return runner


def sent(azets_sandbox, fragment: str) -> list[dict]:
    return [json.loads(r["body"]) for r in azets_sandbox.requests(fragment) if r["body"]]


def transfer_of(kind: str) -> Transfer:
    return Transfer.objects.get(kind=kind)


class TestInvoices:
    def test_invoice_is_one_voucher_with_lines_grouped_by_account(self, azets_sandbox, run):
        books = make_books(project_dimension=3, department_dimension=1)
        draft = draft_invoice(books, your_reference="Kari")
        invoice = run(invoice_finalize, invoice=draft, by=None)

        transfer = transfer_of(TransferKind.INVOICE)
        [voucher] = sent(azets_sandbox, "/vouchers/")
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == str(invoice.number) == voucher["invoiceNo"]
        assert voucher["lines"] == [
            {"accountNo": "3000", "vatCode": "3", "netAmount": "1500.00", "vatAmount": "375.00",
             "description": "Sales, high VAT rate"},
            {"accountNo": "3100", "vatCode": "31", "netAmount": "200.00", "vatAmount": "30.00",
             "description": "Sales, food"},
        ]
        assert voucher["totalInclVat"] == "2105.00"
        assert (voucher["customerNo"], voucher["projectNo"], voucher["yourReference"]) == (
            "1001", "200", "Kari")
        assert voucher["paymentId"] == invoice.kid

    def test_customer_and_project_are_sent_before_the_voucher(self, azets_sandbox, run):
        books = make_books()
        run(invoice_finalize, invoice=draft_invoice(books), by=None)

        paths = [r["path"].split("/")[-2] for r in azets_sandbox.requests("/clients/42/")]
        assert paths == ["customers", "projects", "vouchers"]

    def test_project_and_department_values_go_on_the_chosen_org_units(self, azets_sandbox, run):
        books = make_books(project_dimension=8, department_dimension=2)
        run(invoice_finalize, invoice=draft_invoice(books), by=None)

        [voucher] = sent(azets_sandbox, "/vouchers/")
        [project] = sent(azets_sandbox, "/projects/")
        assert voucher["dimensions"] == {
            "project": {"orgUnit": 8, "value": "200"},
            "department": {"orgUnit": 2, "value": "10"},
        }
        assert project["orgUnit"] == 8 and project["department"] == {"orgUnit": 2, "value": "10"}

    def test_text_project_number_on_a_numeric_org_unit_fails_naming_the_project(
        self, azets_sandbox, run
    ):
        books = make_books(project_dimension=3)
        books.project.number = "P-200"
        books.project.save()
        run(invoice_finalize, invoice=draft_invoice(books), by=None)

        transfer = transfer_of(TransferKind.INVOICE)
        assert transfer.status == TransferStatus.FAILED
        assert "Project P-200" in transfer.last_error
        assert "holds numbers only" in transfer.last_error
        assert sent(azets_sandbox, "/vouchers/") == []

    def test_accrual_accounts_are_sent_only_when_enabled(self, azets_sandbox, run):
        books = make_books(accrual_enabled=True, accrual_debit_account="1530",
                           accrual_credit_account="3900")
        run(invoice_finalize, invoice=draft_invoice(books), by=None)
        books.settings.accrual_enabled = False
        books.settings.save()
        run(invoice_finalize, invoice=draft_invoice(books), by=None)

        first, second = sent(azets_sandbox, "/vouchers/")
        assert first["accrual"] == {"debitAccountNo": "1530", "creditAccountNo": "3900"}
        assert "accrual" not in second

    def test_invoice_export_switched_off_skips_with_the_reason(self, azets_sandbox, run):
        books = make_books(export_invoices=False)
        run(invoice_finalize, invoice=draft_invoice(books), by=None)

        transfer = transfer_of(TransferKind.INVOICE)
        assert transfer.status == TransferStatus.SKIPPED
        assert "export invoices" in transfer.result["message"].lower()
        assert azets_sandbox.requests("/clients/") == []

    def test_account_without_external_vat_code_is_refused_at_finalize(self, azets_sandbox, run):
        from accounting.exceptions import InvoiceNotFinalizable

        books = make_books()
        invoice = draft_invoice(books)
        books.sales_low.external_vat_code = ""
        books.sales_low.save()
        with pytest.raises(InvoiceNotFinalizable, match="line 3: account 3100 has no external"):
            run(invoice_finalize, invoice=invoice, by=None)

        invoice.refresh_from_db()
        assert invoice.number is None and not Transfer.objects.filter(
            kind=TransferKind.INVOICE).exists()  # fmt: skip
        assert azets_sandbox.requests("/clients/") == []

    def test_vat_code_cleared_after_finalize_fails_before_any_call(self, azets_sandbox, run):
        books = make_books()
        invoice = draft_invoice(books)
        Connection.objects.update(enabled=False)  # finalized while nothing is sent: it waits
        run(invoice_finalize, invoice=invoice, by=None)
        books.sales_low.external_vat_code = ""
        books.sales_low.save()
        for connection in Connection.objects.all():
            run(connection_enable, connection=connection)

        transfer = transfer_of(TransferKind.INVOICE)
        assert transfer.status == TransferStatus.FAILED
        assert f"Invoice {invoice.number} line 3: account 3100 has no external VAT code" in (
            transfer.last_error)
        assert azets_sandbox.requests("/clients/") == []

    def test_credit_note_points_at_the_credited_voucher(self, azets_sandbox, run):
        books = make_books()
        invoice = run(invoice_finalize, invoice=draft_invoice(books), by=None)
        note = run(invoice_credit, invoice=invoice, by=None)
        run(invoice_finalize, invoice=note, by=None)

        transfer = transfer_of(TransferKind.CREDIT_NOTE)
        credit = sent(azets_sandbox, "/vouchers/")[-1]
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert credit["creditNoteFor"] == str(invoice.number)
        assert credit["totalInclVat"] == "-2105.00"
        assert Decimal(credit["lines"][0]["netAmount"]) < 0


class TestIdempotency:
    def test_a_voucher_whose_answer_was_lost_is_posted_once(self, azets_sandbox, run):
        books = make_books()
        run(record_save, record=books.customer)
        run(record_save, record=books.project)  # registers bound: the voucher is the only write
        azets_sandbox.control("faults", {"drop_rate": 1.0})
        run(invoice_finalize, invoice=draft_invoice(books), by=None)
        transfer = transfer_of(TransferKind.INVOICE)
        assert transfer.status == TransferStatus.PENDING, transfer.last_error
        azets_sandbox.control("faults", {"drop_rate": 0.0})

        transfer = retry_now(transfer)

        first, replay = azets_sandbox.requests("/vouchers/")
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert (first["dropped"], replay["status"]) == (True, 200)
        assert azets_sandbox.app.ledger().postings == 1

    def test_same_number_with_other_content_fails_with_a_clear_message(self, azets_sandbox, run):
        books = make_books()
        ledger = azets_sandbox.app.ledger()
        ledger.customers["1001"] = {"name": "Posted by hand"}
        ledger.vouchers["10023"] = {"invoiceNo": "10023", "description": "Posted by hand"}
        run(invoice_finalize, invoice=draft_invoice(books, number=10023), by=None)

        transfer = transfer_of(TransferKind.INVOICE)
        assert transfer.status == TransferStatus.FAILED
        assert "Voucher 10023 already exists in Azets with different content" in (
            transfer.last_error)
        assert ledger.postings == 0


class TestRegisters:
    def test_customer_export_switched_off_skips_the_customer(self, azets_sandbox, run):
        books = make_books(export_customers=False)
        run(record_save, record=books.customer)

        transfer = transfer_of(TransferKind.CUSTOMER)
        assert transfer.status == TransferStatus.SKIPPED
        assert "export customers" in transfer.result["message"].lower()

    def test_customer_state_filter_skips_other_states(self, azets_sandbox, run):
        books = make_books(customer_states=["active"])
        books.customer.state = "inactive"
        run(record_save, record=books.customer)

        transfer = transfer_of(TransferKind.CUSTOMER)
        assert transfer.status == TransferStatus.SKIPPED
        assert "Inactive" in transfer.result["message"]

    def test_customer_in_a_selected_state_is_sent_and_updated(self, azets_sandbox, run):
        books = make_books(customer_states=["active", "potential"])
        run(record_save, record=books.customer)
        books.customer.name = "Renamed AS"
        run(record_save, record=books.customer)

        customers = sent(azets_sandbox, "/customers/1001")
        assert [c["name"] for c in customers] == [customers[0]["name"], "Renamed AS"]
        assert Transfer.objects.filter(status=TransferStatus.SUCCEEDED).count() == 2

    def test_project_state_filter_and_switch(self, azets_sandbox, run):
        books = make_books(project_states=["active"])
        books.project.state = "completed"
        run(record_save, record=books.project)
        assert transfer_of(TransferKind.PROJECT).status == TransferStatus.SKIPPED

        books.settings.project_states = []
        books.settings.export_projects = False
        books.settings.save()
        books.project.state = "active"
        run(record_save, record=books.project)
        last = Transfer.objects.filter(kind=TransferKind.PROJECT).latest("pk")
        assert last.status == TransferStatus.SKIPPED
        assert "export projects" in last.result["message"].lower()
        assert sent(azets_sandbox, "/projects/") == []
