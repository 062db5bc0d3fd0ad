"""Expense and payment imports end to end: the real client, engine and commands against the
PowerOffice sandbox over HTTP, with costs and payments seeded through its control API."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounting.models import Expense, Invoice, Payment, Project
from integrations.engine import transfer_process
from integrations.models import Connection, Transfer, TransferKind
from integrations.poweroffice import sandbox
from integrations.poweroffice.models import PowerOfficeSettings
from integrations.poweroffice.tasks import poweroffice_import_scheduled_task
from tests.factories import AccountFactory, ClientFactory, FinalizedInvoiceFactory, ProjectFactory
from tests.factories.integrations import ConnectionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TODAY = timezone.localdate()


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def setup(po_sandbox, settings):
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    client = ClientFactory(organization_number="987654321", expenses_billable_default=True)
    connection = ConnectionFactory(
        client=client, secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY}
    )
    PowerOfficeSettings.objects.create(connection=connection)
    ProjectFactory(client=client, number="P100")
    ProjectFactory(client=client, number="P200", expenses_billable=Project.ExpensesBillable.NO)
    AccountFactory(client=client, number=4300, name="Purchases", external_vat_code="1")
    return client


def seed_cost(po_sandbox, *, project="P100", account=4300, amount=1000.0, day=1, **extra):
    line = {
        "account_no": account,
        "project_code": project,
        "amount": amount,
        "vat_amount": amount / 4,
        "description": extra.pop("description", "Pipes"),
    }
    data = {"supplier": "Rørlegger AS", "voucher_date": days_ago(day), "lines": [line], **extra}
    return po_sandbox.control("seed/supplier_invoice", data)


def import_expenses(client, *args) -> str:
    call_command("import_expenses", client.organization_number, *args)
    return Transfer.objects.filter(kind=TransferKind.EXPENSE_IMPORT).latest("pk").result


class TestExpenseImport:
    def test_only_costs_on_our_projects_and_accounts_from_4000_in_the_window(
        self, setup, po_sandbox
    ):
        kept = seed_cost(po_sandbox, description="Pipes for P100")
        seed_cost(po_sandbox, project="P999", description="Unknown project")
        seed_cost(po_sandbox, account=3900, description="Below the account bound")
        seed_cost(po_sandbox, day=5, description="Posted before the window")

        result = import_expenses(setup)

        expense = Expense.objects.get()
        assert expense.description == "Pipes for P100"
        assert expense.external_reference.startswith(kept["VoucherId"])
        assert (expense.amount_incl_vat, expense.supplier_name) == (
            Decimal("1250.00"),
            "Rørlegger AS",
        )
        assert (expense.invoice_date, expense.account.number) == (
            TODAY - dt.timedelta(days=1),
            4300,
        )
        assert result["created"] == 1 and result["failed"] == 0
        query = parse_qs(po_sandbox.requests("/AccountTransactions")[0]["query"])
        assert query["accountNos"] == ["4000-"] and query["projectCodes"] == ["P100,P200"]
        assert (query["fromDate"], query["toDate"]) == ([days_ago(2)], [TODAY.isoformat()])

    def test_days_option_widens_the_window(self, setup, po_sandbox):
        seed_cost(po_sandbox, day=5)

        import_expenses(setup, "--days", "7")

        assert Expense.objects.count() == 1

    def test_attachments_are_downloaded_unzipped_and_stored(self, setup, po_sandbox):
        files = [
            {"name": "invoice.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 x").decode()},
            {"name": "scan.jpg", "content_base64": base64.b64encode(b"\xff\xd8jpeg").decode()},
        ]
        seed_cost(po_sandbox, attachments=files)

        import_expenses(setup)

        attachments = {a.name: a.file.read() for a in Expense.objects.get().attachments.all()}
        assert attachments == {"invoice.pdf": b"%PDF-1.4 x", "scan.jpg": b"\xff\xd8jpeg"}

    def test_billable_follows_the_client_default_unless_the_project_says_otherwise(
        self, setup, po_sandbox
    ):
        seed_cost(po_sandbox, project="P100")
        seed_cost(po_sandbox, project="P200")

        import_expenses(setup)

        billable = dict(Expense.objects.values_list("project__number", "billable"))
        assert billable == {"P100": True, "P200": False}

    def test_a_second_run_changes_nothing_and_counts_the_skips(self, setup, po_sandbox):
        seed_cost(po_sandbox)
        seed_cost(po_sandbox, project="P200")
        import_expenses(setup)
        Expense.objects.update(description="Edited here")

        result = import_expenses(setup)

        assert Expense.objects.count() == 2
        assert set(Expense.objects.values_list("description", flat=True)) == {"Edited here"}
        assert (result["fetched"], result["created"], result["skipped"]) == (2, 0, 2)

    def test_scheduled_runs_ask_only_for_rows_created_since_the_last_run(self, setup, po_sandbox):
        an_hour_ago = (timezone.now() - dt.timedelta(hours=1)).isoformat()
        seed_cost(po_sandbox, created_at=an_hour_ago)
        connection = Connection.objects.get(client=setup)
        connection.poweroffice_settings.expense_import_enabled = True
        connection.poweroffice_settings.save()
        run_scheduled(connection, TransferKind.EXPENSE_IMPORT)
        seed_cost(po_sandbox, project="P200")
        run_scheduled(connection, TransferKind.EXPENSE_IMPORT)

        second = parse_qs(po_sandbox.requests("/AccountTransactions")[-1]["query"])
        assert "createdDateTimeOffsetGreaterThan" in second
        assert Expense.objects.count() == 2
        last = Transfer.objects.filter(kind=TransferKind.EXPENSE_IMPORT).latest("pk").result
        assert (last["fetched"], last["created"]) == (1, 1)


def run_scheduled(connection, kind):
    transfer_process(poweroffice_import_scheduled_task(connection.pk, kind))


@pytest.fixture
def posted_invoice(setup, po_client):
    """An invoice finalized here (1250.00 incl. VAT) and posted in PowerOffice with its number."""
    invoice = FinalizedInvoiceFactory(client=setup, invoice_date=TODAY - dt.timedelta(days=3))
    customer = po_client.create_customer({"Name": invoice.customer.name})
    accounts = {a["AccountNo"]: a["Id"] for a in po_client.list_general_ledger_accounts()}
    total = float(invoice.totals.amount_incl_vat)
    po_client.post_outgoing_invoice(
        {
            "VoucherDate": invoice.invoice_date.isoformat(),
            "InvoiceNo": str(invoice.number),
            "CurrencyCode": "NOK",
            "CurrencyAmount": total,
            "CustomerAccountId": customer["SubledgerAccountId"],
            "OutgoingInvoiceLines": [
                {
                    "AccountId": accounts[3000],
                    "VatId": 3,
                    "CurrencyAmount": total,
                    "Description": "Consulting",
                }
            ],
        }
    )
    return invoice


class TestPaymentImport:
    def test_a_partial_payment_then_the_rest(self, setup, po_sandbox, posted_invoice):
        number = str(posted_invoice.number)
        po_sandbox.control(
            "seed/customer_payment", {"invoice_no": number, "amount": 500.0, "date": days_ago(1)}
        )

        call_command("import_payments", setup.organization_number)

        posted_invoice.refresh_from_db()
        assert posted_invoice.payment_status == Invoice.PaymentStatus.PARTLY_PAID
        assert posted_invoice.amount_paid == Decimal("500.00")
        first = Payment.objects.get()
        assert (first.payment_date, first.amount) == (
            TODAY - dt.timedelta(days=1),
            Decimal("500.00"),
        )
        assert "BankJournal" in first.reference

        po_sandbox.control(
            "seed/customer_payment",
            {"invoice_no": number, "amount": 750.0, "date": TODAY.isoformat()},
        )
        call_command("import_payments", setup.organization_number)

        posted_invoice.refresh_from_db()
        assert posted_invoice.payment_status == Invoice.PaymentStatus.PAID
        assert posted_invoice.amount_paid == Decimal("1250.00")
        assert sorted(Payment.objects.values_list("amount", flat=True)) == [
            Decimal("500.00"),
            Decimal("750.00"),
        ]
        last = parse_qs(po_sandbox.requests("/Customerledger/Statement")[-1]["query"])
        assert "lastChangedDateTimeOffsetGreaterThan" in last

    def test_a_second_run_without_new_payments_changes_nothing(
        self, setup, po_sandbox, posted_invoice
    ):
        po_sandbox.control(
            "seed/customer_payment", {"invoice_no": str(posted_invoice.number), "amount": 200.0}
        )
        call_command("import_payments", setup.organization_number)

        call_command("import_payments", setup.organization_number)

        result = Transfer.objects.filter(kind=TransferKind.PAYMENT_IMPORT).latest("pk").result
        posted_invoice.refresh_from_db()
        assert Payment.objects.count() == 1 and posted_invoice.amount_paid == Decimal("200.00")
        assert (result["created"], result["skipped"]) == (0, 1)
