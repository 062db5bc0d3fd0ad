"""ExpenseImporter and PaymentImporter over mocked HTTP: what they ask PowerOffice for, what they
store, and that re-runs (also overlapping ones) store nothing twice."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import IntegrityError

from accounting.models import Expense, Invoice, Payment, Project
from integrations.base import AlreadyImported
from integrations.engine import transfer_process
from integrations.models import Mode, Transfer, TransferKind, TransferStatus
from integrations.poweroffice import importers
from integrations.poweroffice.models import PowerOfficeSettings
from integrations.poweroffice.services import poweroffice_import_enqueue
from tests.factories import AccountFactory, FinalizedInvoiceFactory, ProjectFactory
from tests.factories.integrations import ConnectionFactory

from .conftest import API, CLIENT_KEY, captured

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
SUPPLIER_VOUCHER = "7a1c0f0e-1111-4a2b-9c3d-000000000001"
TRAVEL_VOUCHER = "7a1c0f0e-1111-4a2b-9c3d-000000000002"


@pytest.fixture
def connection(po_settings, monkeypatch):
    po_settings.POWEROFFICE_APPLICATION_KEY = "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    po_settings.POWEROFFICE_SUBSCRIPTION_KEY = "sub-0123456789abcdef0123456789abcdef"
    po_settings.POWEROFFICE_RATE_LIMIT = 1000.0
    monkeypatch.setattr(importers.timezone, "localdate", lambda: TODAY)
    connection = ConnectionFactory(
        mode=Mode.DEMO,
        secrets={"client_key": CLIENT_KEY},
        client__expenses_billable_default=True,
    )
    PowerOfficeSettings.objects.create(connection=connection)
    return connection


@pytest.fixture
def projects(connection):
    client = connection.client
    AccountFactory(client=client, number=4300, name="Purchases")
    return {
        "P100": ProjectFactory(client=client, number="P100"),
        "P200": ProjectFactory(
            client=client, number="P200", expenses_billable=Project.ExpensesBillable.NO
        ),
    }


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def cost_api(http, token):
    """PowerOffice answers for one day of costs: two supplier-invoice rows (one voucher with a
    PDF), an employee travel expense in EUR and a reversed row."""
    http.add("GET", f"{API}/AccountTransactions", json=captured("account_transactions_costs.json"))
    http.add(
        "GET", f"{API}/Supplierledger/Statement", json=captured("supplier_ledger_statement.json")
    )
    documentation = [{"VoucherId": SUPPLIER_VOUCHER, "HasPdf": True, "HasImages": True}]
    http.add("GET", f"{API}/VoucherDocumentation", json=documentation)
    http.add(
        "GET",
        f"{API}/VoucherDocumentation/Download",
        body=zipped({"scans/invoice-A7781.pdf": b"%PDF-1.4 A7781", "photo.jpg": b"\xff\xd8"}),
        content_type="application/zip",
    )
    return http


def run_import(connection, kind=TransferKind.EXPENSE_IMPORT, **params) -> Transfer:
    transfer = poweroffice_import_enqueue(connection=connection, kind=kind, **params)
    transfer_process(transfer.pk)
    transfer.refresh_from_db()
    return transfer


def query_of(http, path: str) -> dict[str, list[str]]:
    calls = [c for c in http.calls if urlsplit(c.request.url).path.endswith(path)]
    assert calls, f"no call to {path}"
    return parse_qs(urlsplit(calls[-1].request.url).query)


class TestExpenseImport:
    def test_asks_for_our_projects_accounts_from_the_bound_and_the_last_two_days(
        self, connection, projects, cost_api
    ):
        run_import(connection)

        query = query_of(cost_api, "/AccountTransactions")
        assert query["fromDate"] == ["2026-03-08"] and query["toDate"] == ["2026-03-10"]
        assert query["accountNos"] == ["4000-"] and query["projectCodes"] == ["P100,P200"]
        assert "createdDateTimeOffsetGreaterThan" not in query

    def test_days_and_lower_account_bound_come_from_params_and_settings(
        self, connection, projects, cost_api
    ):
        PowerOfficeSettings.objects.update(expense_account_from=6000)

        run_import(connection, days=14)

        query = query_of(cost_api, "/AccountTransactions")
        assert query["fromDate"] == ["2026-02-24"] and query["accountNos"] == ["6000-"]
        assert set(Expense.objects.values_list("account__number", flat=True)) == {None}

    def test_stores_each_cost_with_supplier_amount_incl_vat_date_and_project(
        self, connection, projects, cost_api
    ):
        transfer = run_import(connection)

        pipes = Expense.objects.get(description="Copper pipes")
        assert pipes.amount_incl_vat == Decimal("1250.00")
        assert pipes.supplier_name == "Rørlegger Hansen AS"
        assert (pipes.invoice_date, pipes.project.number) == (dt.date(2026, 3, 9), "P100")
        assert pipes.account.number == 4300 and pipes.currency_code == "NOK"
        assert pipes.external_reference == f"{SUPPLIER_VOUCHER}/910001"
        assert transfer.status == TransferStatus.SUCCEEDED
        assert {k: transfer.result[k] for k in ("fetched", "created", "skipped", "failed")} == {
            "fetched": 4,
            "created": 3,
            "skipped": 1,
            "failed": 0,
        }

    def test_foreign_currency_travel_expense_has_no_supplier(self, connection, projects, cost_api):
        run_import(connection)

        ticket = Expense.objects.get(description="Train ticket")
        assert (ticket.amount_incl_vat, ticket.currency_code) == (Decimal("10.00"), "EUR")
        assert ticket.supplier_name == ""

    def test_supplier_names_are_read_once_for_the_vouchers_dates(
        self, connection, projects, cost_api
    ):
        run_import(connection)

        statements = [c for c in cost_api.calls if "/Supplierledger/" in c.request.url]
        query = query_of(cost_api, "/Supplierledger/Statement")
        assert len(statements) == 1
        assert (query["fromDate"], query["toDate"]) == (["2026-03-09"], ["2026-03-10"])

    def test_voucher_attachments_are_unzipped_and_stored_with_each_expense(
        self, connection, projects, cost_api
    ):
        run_import(connection)

        pipes = Expense.objects.get(description="Copper pipes")
        files = {a.name: a.file.read() for a in pipes.attachments.all()}
        assert files == {"invoice-A7781.pdf": b"%PDF-1.4 A7781", "photo.jpg": b"\xff\xd8"}
        downloads = [c for c in cost_api.calls if "/Download" in c.request.url]
        assert len(downloads) == 2  # once per voucher with documents, not per row

    def test_a_zip_answer_is_logged_as_its_size_not_its_bytes(self, connection, projects, cost_api):
        transfer = run_import(connection)

        summary = transfer.attempt_set.get().response_summary
        assert "\x00" not in summary and "bytes, application/zip>" in summary

    def test_billable_is_the_client_default_unless_the_project_overrides_it(
        self, connection, projects, cost_api
    ):
        run_import(connection)

        assert Expense.objects.get(description="Copper pipes").billable is True
        assert Expense.objects.get(description="Site office supplies").billable is False

    def test_second_run_creates_nothing_overwrites_nothing_and_counts_skips(
        self, connection, projects, cost_api
    ):
        run_import(connection)
        Expense.objects.update(description="Checked by the project manager")

        second = run_import(connection, full=True)

        assert Expense.objects.count() == 3
        assert set(Expense.objects.values_list("description", flat=True)) == {
            "Checked by the project manager"
        }
        assert (second.result["created"], second.result["skipped"]) == (0, 4)
        assert len([c for c in cost_api.calls if "/Download" in c.request.url]) == 2

    def test_later_runs_ask_only_for_rows_created_since_the_last_run_less_an_overlap(
        self, connection, projects, cost_api
    ):
        first = run_import(connection)
        synced = PowerOfficeSettings.objects.get().expenses_synced_until

        run_import(connection)

        after = query_of(cost_api, "/AccountTransactions")["createdDateTimeOffsetGreaterThan"]
        assert synced >= first.started_at
        assert dt.datetime.fromisoformat(after[0]) == synced - importers.WATERMARK_OVERLAP

    def test_client_without_projects_asks_nothing(self, connection, http, token):
        transfer = run_import(connection)

        assert transfer.status == TransferStatus.SUCCEEDED
        assert not [c for c in http.calls if "/AccountTransactions" in c.request.url]

    def test_unusable_row_fails_alone_and_keeps_the_watermark(
        self, connection, projects, http, token
    ):
        rows = captured("account_transactions_costs.json")[:1]
        http.add(
            "GET", f"{API}/AccountTransactions", json=[{**rows[0], "Id": 1, "VoucherDate": "soon"}]
        )
        http.add("GET", f"{API}/Supplierledger/Statement", status=204)

        transfer = run_import(connection)

        assert transfer.status == TransferStatus.FAILED
        assert "VoucherDate “soon” is not a date" in transfer.result["errors"][0]
        assert PowerOfficeSettings.objects.get().expenses_synced_until is None


class TestOverlappingRuns:
    """Two imports of the same rows at once: the loser of the race stores nothing and counts
    a skip instead of failing."""

    def test_row_stored_by_the_other_run_after_our_check_is_skipped(
        self, connection, projects, cost_api, monkeypatch
    ):
        run_import(connection)
        monkeypatch.setattr(importers.ExpenseImporter, "exists", lambda self, item: False)

        second = run_import(connection, full=True)

        assert Expense.objects.count() == 3
        assert (second.result["created"], second.result["skipped"]) == (0, 4)

    def test_unique_constraint_race_becomes_already_imported(self, connection):
        importer = importers.ExpenseImporter.__new__(importers.ExpenseImporter)

        def lose_race():
            raise IntegrityError("duplicate key value violates unique constraint")

        with pytest.raises(AlreadyImported):
            importer.store(None, lose_race, "Voucher 50001 row 910001")


# -- payments --------------------------------------------------------------------------------------
def ledger_entry(invoice: Invoice, *, balance: float, match_id: int | None = 77) -> dict:
    entry = captured("customer_ledger_statement_invoice.json")[0]
    return {
        **entry,
        "InvoiceNo": str(invoice.number),
        "Amount": float(invoice.totals.amount_incl_vat),
        "Balance": balance,
        "MatchId": match_id,
        "VoucherType": "OutgoingInvoice",
        "VoucherDate": invoice.invoice_date.isoformat(),
    }


def match_group(invoice: Invoice, *payments: tuple[int, float, str]) -> list[dict]:
    rows = captured("customer_ledger_entries_by_match_id.json")
    invoice_row = {**rows[0], "InvoiceNo": str(invoice.number)}
    template = rows[1]
    return [invoice_row] + [
        {**template, "Id": entry_id, "Amount": -amount, "VoucherDate": day}
        for entry_id, amount, day in payments
    ]


@pytest.fixture
def invoice(connection):
    return FinalizedInvoiceFactory(client=connection.client, invoice_date=dt.date(2026, 3, 2))


class TestPaymentImport:
    def test_partial_then_full_payment_sets_status_and_paid_amount(
        self, connection, invoice, http, token
    ):
        first_payment = (880102, 500.0, "2026-03-20")
        statement = http.add(
            "GET", f"{API}/Customerledger/Statement", json=[ledger_entry(invoice, balance=750.0)]
        )
        group = http.add(
            "GET",
            f"{API}/Customerledger/EntriesByMatchId",
            json=match_group(invoice, first_payment),
        )

        run_import(connection, TransferKind.PAYMENT_IMPORT)

        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PARTLY_PAID
        assert invoice.amount_paid == Decimal("500.00")
        payment = Payment.objects.get()
        assert (payment.payment_date, payment.amount) == (dt.date(2026, 3, 20), Decimal("500.00"))
        assert payment.reference == "BankJournal 60102, KID 0100237, 15030012345"

        http.replace("GET", statement.url, json=[ledger_entry(invoice, balance=0.0)])
        http.replace(
            "GET",
            group.url,
            json=match_group(invoice, first_payment, (880203, 750.0, "2026-03-28")),
        )
        second = run_import(connection, TransferKind.PAYMENT_IMPORT)

        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PAID
        assert invoice.amount_paid == Decimal("1250.00")
        assert (second.result["created"], second.result["skipped"]) == (1, 1)

    def test_asks_for_changed_invoice_entries_since_the_last_run(
        self, connection, invoice, http, token
    ):
        http.add("GET", f"{API}/Customerledger/Statement", status=204)
        run_import(connection, TransferKind.PAYMENT_IMPORT)
        synced = PowerOfficeSettings.objects.get().payments_synced_until

        run_import(connection, TransferKind.PAYMENT_IMPORT)

        query = query_of(http, "/Customerledger/Statement")
        changed = query["lastChangedDateTimeOffsetGreaterThan"][0]
        assert dt.datetime.fromisoformat(changed) == synced - importers.WATERMARK_OVERLAP
        assert query["fromDate"] == ["2026-03-02"] and query["toDate"] == ["2026-03-10"]
        assert query["voucherTypes"] == ["OutgoingInvoice"]
        assert query["onlyCreatedByCurrentIntegration"] == ["true"]

    def test_entry_of_an_unknown_invoice_fails_naming_it(self, connection, invoice, http, token):
        stranger = {
            **ledger_entry(invoice, balance=0.0),
            "InvoiceNo": "99999",
            "VoucherId": "00000000-0000-4000-8000-000000000999",
        }
        http.add("GET", f"{API}/Customerledger/Statement", json=[stranger])
        group = match_group(invoice, (880102, 1250.0, "2026-03-20"))
        http.add("GET", f"{API}/Customerledger/EntriesByMatchId", json=group)

        transfer = run_import(connection, TransferKind.PAYMENT_IMPORT)

        assert transfer.status == TransferStatus.FAILED
        assert "invoice no 99999" in transfer.result["errors"][0]
        assert not Payment.objects.exists()

    def test_nothing_is_asked_when_every_invoice_is_paid(self, connection, http, token):
        transfer = run_import(connection, TransferKind.PAYMENT_IMPORT)

        assert transfer.status == TransferStatus.SUCCEEDED
        assert not [c for c in http.calls if "/Customerledger/" in c.request.url]


@pytest.mark.django_db(transaction=True)
def test_two_imports_saving_the_same_cost_at_once_store_it_once():
    """Real concurrency on PostgreSQL: both pass the "already there?" check, one wins the
    unique constraint, the other reports AlreadyImported (counted as skipped)."""
    import threading

    from django.db import close_old_connections
    from django.db import connection as db

    from accounting.services import expense_record

    if db.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    project = ProjectFactory(number="P100")
    importer = importers.ExpenseImporter.__new__(importers.ExpenseImporter)
    importer.owner = project.client
    barrier, outcomes = threading.Barrier(2), []
    row = SimpleNamespace(external_reference="v1/1")  # what exists() reads of a CostRow

    def save():
        expense = Expense(
            client=project.client,
            source_system="poweroffice",
            external_reference="v1/1",
            amount_incl_vat=Decimal("10.00"),
            invoice_date=TODAY,
            project=project,
        )
        barrier.wait()
        return expense_record(expense=expense)

    def worker():
        try:
            outcomes.append(importer.store(row, save, "row 1").pk)
        except AlreadyImported:
            outcomes.append("skipped")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str) == sorted([Expense.objects.get().pk, "skipped"], key=str)
