"""Imports from PowerOffice Go: project costs as expenses, customer payments of our invoices.

Both follow `BaseImporter` (fetch page → parse → up to date? → create → bind). Both are
idempotent through the external reference that `accounting.services` makes unique per client: a
record already stored (by an earlier or an overlapping run) is counted as skipped, never changed.

Watermarks (`PowerOfficeSettings.expenses_synced_until` / `payments_synced_until`) are the start
time of the last run without failures. The next run asks only for rows created (expenses) or
changed (payments) after it, less `WATERMARK_OVERLAP`, so rows that were in flight or not yet on
PowerOffice's read replica are read again; the dedupe makes that harmless.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from accounting.models import Account, Expense, Payment, Project
from accounting.services import expense_record, payment_record
from integrations.base import AlreadyImported, BaseImporter, ImportReport
from integrations.errors import DataError
from integrations.models import TransferKind

from . import parsing
from .matching import InvoiceMatcher, SupplierNames
from .models import PowerOfficeSettings

SOURCE_SYSTEM = "poweroffice"
WATERMARK_OVERLAP = dt.timedelta(minutes=10)
PROJECT_CODES_PER_CALL = 100
EMPLOYEE_VOUCHER_TYPES = frozenset({"Expense", "TravelExpense"})


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of `size` items from an iterator, read lazily (one API page at a time)."""
    iterator = iter(rows)
    while page := list(itertools.islice(iterator, size)):
        yield page


class PowerOfficeImporter(BaseImporter):
    """Shared by both imports: settings, the run's start time, the watermark."""

    watermark_field = ""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.settings, _ = PowerOfficeSettings.objects.get_or_create(connection=self.connection)
        self.owner = self.connection.client
        self.started_at = timezone.now()
        self.today = timezone.localdate()

    def run(self) -> ImportReport:
        report = super().run()
        if not report.failed:  # failed rows must be read again by the next run
            setattr(self.settings, self.watermark_field, self.started_at)
            self.settings.save(update_fields=[self.watermark_field])
        return report

    def created_after(self) -> str | None:
        """The watermark less the overlap (ISO 8601), or None for a full read."""
        synced = getattr(self.settings, self.watermark_field)
        if synced is None or self.params.get("full"):
            return None
        return (synced - WATERMARK_OVERLAP).isoformat()

    def store(self, record: Any, save, where: str) -> Any:
        """Call an idempotent accounting service in a savepoint; AlreadyImported when the
        record exists (before, or because an overlapping run won the unique constraint)."""
        try:
            with transaction.atomic():
                stored, created = save()
        except IntegrityError as err:
            raise AlreadyImported(where) from err
        except ValidationError as err:
            if self.exists(record):
                raise AlreadyImported(where) from err
            raise DataError(f"{where}: {'; '.join(err.messages)}", record=where) from err
        if not created:
            raise AlreadyImported(where)
        return stored

    def exists(self, record: Any) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must implement exists()")

    def update(self, obj, item):
        raise AlreadyImported(str(obj))  # imported records are never overwritten


class ExpenseImporter(PowerOfficeImporter):
    """Costs posted in PowerOffice Go on our projects, accounts from the configured lower bound,
    in the last `expense_days_back` days (or `params["days"]`), with supplier and attachments."""

    kind = TransferKind.EXPENSE_IMPORT
    model = Expense
    watermark_field = "expenses_synced_until"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.days = int(self.params.get("days") or self.settings.expense_days_back)
        self.from_date = self.today - dt.timedelta(days=self.days)
        self.account_from = self.settings.expense_account_from
        self.projects = {p.number: p for p in Project.objects.filter(client=self.owner)}
        self.accounts = {a.number: a for a in Account.objects.filter(client=self.owner)}
        self.suppliers = SupplierNames(lambda: self.client)
        self._documents: dict[str, list[tuple[str, bytes]]] = {}

    def fetch_pages(self) -> Iterator[list[dict[str, Any]]]:
        created_after = self.created_after()
        extra = {"createdDateTimeOffsetGreaterThan": created_after} if created_after else {}
        for codes in batched(sorted(self.projects), PROJECT_CODES_PER_CALL):
            rows = self.client.list_account_transactions(
                from_date=self.from_date,
                to_date=self.today,
                account_numbers=f"{self.account_from}-",
                project_codes=codes,
                **extra,
            )
            for page in batched(rows, self.client.page_size):
                self.suppliers.load_for(
                    [r for r in page if r.get("VoucherType") not in EMPLOYEE_VOUCHER_TYPES]
                )
                yield page

    def parse(self, raw: dict[str, Any]) -> parsing.CostRow:
        return parsing.parse_cost_row(raw)

    def external_id_of(self, item: parsing.CostRow) -> str:
        return item.external_reference

    def out_of_scope(self, item: parsing.CostRow) -> str:
        """Why a fetched row is not an expense here ("" when it is)."""
        if item.is_reversed:
            return "reversed"
        if item.account_no < self.account_from:
            return f"account {item.account_no} below {self.account_from}"
        if item.project_code not in self.projects:
            return f"project {item.project_code or '(none)'} does not exist here"
        return ""

    def is_up_to_date(self, item: parsing.CostRow, link, digest: str) -> bool:
        return bool(self.out_of_scope(item)) or self.exists(item)

    def exists(self, item: parsing.CostRow) -> bool:
        return Expense.objects.filter(
            client=self.owner,
            source_system=SOURCE_SYSTEM,
            external_reference=item.external_reference,
        ).exists()

    def create(self, item: parsing.CostRow) -> Expense:
        expense = Expense(
            client=self.owner,
            source_system=SOURCE_SYSTEM,
            external_reference=item.external_reference,
            description=item.description,
            amount_incl_vat=item.amount_incl_vat,
            currency_code=item.currency_code,
            supplier_name=self.suppliers.name_for(item.voucher_id)[:200],
            invoice_date=item.voucher_date,
            account=self.accounts.get(item.account_no),
            project=self.projects[item.project_code],
        )
        files = self.attachments(item)
        stored = self.store(
            item, lambda: expense_record(expense=expense, attachments=files), item.label
        )
        self.context.record_step(
            "expense", action="created", obj=stored, external_id=item.external_reference,
            detail=ngettext("%(count)d attachment", "%(count)d attachments", len(files))
            % {"count": len(files)},
        )
        return stored

    def attachments(self, item: parsing.CostRow) -> list[tuple[str, bytes]]:
        """The voucher's documents, downloaded once per voucher and run."""
        if item.voucher_id not in self._documents:
            docs = self.client.list_voucher_documentation(item.voucher_id)
            flags = ("HasPdf", "HasImages", "HasEhf")
            content = b""
            if any(doc.get(flag) for doc in docs for flag in flags):
                content = self.client.download_voucher_documentation(item.voucher_id)
            self._documents[item.voucher_id] = parsing.unzip_documents(content, where=item.label)
        return self._documents[item.voucher_id]


class PaymentImporter(PowerOfficeImporter):
    """Payments registered in PowerOffice Go against our outgoing invoices (customer ledger)."""

    kind = TransferKind.PAYMENT_IMPORT
    model = Payment
    watermark_field = "payments_synced_until"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.matcher = InvoiceMatcher(connection=self.connection, client=self.owner)

    def fetch_pages(self) -> Iterator[list[Any]]:
        from_date = self.matcher.earliest_open_invoice_date()
        if from_date is None:
            return
        changed_after = self.created_after()
        filters = {"voucherTypes": "OutgoingInvoice", "onlyCreatedByCurrentIntegration": True}
        if changed_after:
            filters["lastChangedDateTimeOffsetGreaterThan"] = changed_after
        rows = self.client.list_customer_ledger_statement(
            from_date=from_date, to_date=self.today, **filters
        )
        for page in batched(rows, self.client.page_size):
            yield [share for raw in page for share in self.shares_of(raw)]

    def shares_of(self, raw: dict[str, Any]) -> list[Any]:
        """The payments of one invoice entry, or the DataError that made it unusable (raised
        again by parse(), so it counts as failed without stopping the run)."""
        try:
            entry = parsing.parse_ledger_entry(raw)
            if not entry.is_invoice or entry.match_id is None or entry.paid_amount <= 0:
                return []
            group = [
                parsing.parse_ledger_entry(row)
                for row in self.client.list_customer_ledger_entries_by_match_id(entry.match_id)
            ]
        except DataError as err:
            return [err]
        return parsing.payment_shares(entry, group)

    def parse(self, raw: Any) -> parsing.PaymentShare:
        if isinstance(raw, DataError):
            raise raw
        return raw

    def external_id_of(self, item: parsing.PaymentShare) -> str:
        return item.external_reference

    def is_up_to_date(self, item: parsing.PaymentShare, link, digest: str) -> bool:
        return self.exists(item)

    def exists(self, item: parsing.PaymentShare) -> bool:
        return Payment.objects.filter(
            client=self.owner, external_reference=item.external_reference
        ).exists()

    def create(self, item: parsing.PaymentShare) -> Payment:
        invoice = self.matcher.invoice_for(item.invoice_entry)
        payment = Payment(
            client=self.owner,
            invoice=invoice,
            external_reference=item.external_reference,
            payment_date=item.payment_entry.voucher_date,
            amount=item.amount,
            reference=item.reference,
        )
        where = f"Payment {item.reference} of invoice {invoice.number}"
        stored = self.store(item, lambda: payment_record(payment=payment), where)
        self.context.record_step(
            "payment", action="created", obj=invoice, external_id=item.external_reference,
            detail=f"{item.amount} on {payment.payment_date}",
        )
        return stored
