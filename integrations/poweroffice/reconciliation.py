"""The PowerOffice Go side of reconciliation: what it holds, read page by page at low priority.

`PowerOfficeReconciliationReader` gives `integrations.reconciliation.services` four things:
- `documents(date_from, date_to)`: our finalized invoices, credit notes, POS sales and invoiced
  sales orders of the period, and what PowerOffice Go holds for them: customer-ledger entries
  (`GET /Customerledger/Statement`, both voucher routes put one entry on the customer) and sales
  orders (`GET /SalesOrders`, only those created by this integration);
- `bind_found(doc, theirs)`: a document posted there whose transfer failed here is bound, its
  transfer marked succeeded with a note, and its PDF uploaded when PowerOffice Go has none;
- `registers()`: customers and projects bound here whose number, name or organization number
  was changed there by hand;
- `account_plan()`: our accounts and their external VAT codes against the GL accounts and VAT
  codes there.

Every read is a paged list call (5,000 rows a page) through the one client, whose budget here is
`LowPriorityLimiter`: a reconciliation steps back for transfers (see reconciliation/pacing.py).

Signs are not assumed: entries are compared by absolute amount plus the voucher type where
PowerOffice Go states it (OutgoingInvoice / OutgoingCreditNote), see reconciliation/matching.py.
Sales orders are compared by customer, date and currency only: their amount fields are not
documented as including VAT, and a POS batch may send amounts excluding VAT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.documents import document_send_finish, document_send_for
from integrations.links import external_link_bind
from integrations.models import ExternalLink, Transfer, TransferStatus
from integrations.reconciliation.matching import (
    CREDIT_NOTE,
    INVOICE,
    OurDocument,
    TheirDocument,
)

from .mapping import customer_number
from .models import PowerOfficeSettings, VoucherRoute

Dto = dict[str, Any]
INVOICE_TYPES = {"OutgoingInvoice": False, "OutgoingCreditNote": True}
PAGE_SIZE = 5000


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


# -- parsing (pure) --------------------------------------------------------------------------------
def parse_ledger_entry(row: Dto, *, prefix: str) -> TheirDocument | None:
    """A customer-ledger entry of an invoice or credit note, or None (a payment, a journal
    line that is not a document of ours)."""
    reference = str(row.get("ExternalImportReference") or "")
    voucher_type = str(row.get("VoucherType") or "")
    if not reference and voucher_type not in INVOICE_TYPES:
        return None
    amount = row.get("CurrencyAmount")
    return TheirDocument(
        external_id=str(row.get("VoucherId") or row.get("Id")),
        family="invoice",
        reference=reference,
        number=str(row.get("InvoiceNo") or ""),
        amount=_decimal(row.get("Amount") if amount is None else amount),
        currency=str(row.get("CurrencyCode") or ""),
        customer=str(row.get("CustomerAccountNo") or ""),
        date=_date(row.get("VoucherDate")),
        kid=str(row.get("Cid") or ""),
        credit_note=INVOICE_TYPES.get(voucher_type),
        from_us=reference.startswith(prefix)
        or (bool(row.get("IsCreatedByCurrentIntegration")) and voucher_type in INVOICE_TYPES),
        voucher_no=str(row.get("VoucherNo") or ""),
    )


def parse_sales_order(row: Dto, *, prefix: str) -> TheirDocument:
    reference = str(row.get("ExternalImportReference") or "")
    return TheirDocument(
        external_id=str(row.get("Id")),
        family="order",
        reference=reference,
        number="",  # orders are matched by reference only (their numbers are PowerOffice's)
        currency=str(row.get("CurrencyCode") or ""),
        customer=str(row.get("CustomerNo") or ""),
        date=_date(row.get("SalesOrderDate")),
        from_us=reference.startswith(prefix),
        voucher_no=str(row.get("SalesOrderNo") or ""),
    )


@dataclass
class RegisterChange:
    obj: Any
    what: str  # customer, project
    number: str
    external_id: str
    differences: list[list[str]]
    detail: str = ""


@dataclass
class AccountPlan:
    our_accounts: int
    their_accounts: int
    their_vat_codes: int
    missing: list[int]
    inactive: list[int]
    vat_differs: list[list[str]]  # [account, ours, theirs]
    vat_unknown: list[str]


def compare_account_plan(
    accounts: Iterable, gl_rows: list[Dto], vat_rows: list[Dto]
) -> AccountPlan:
    """Our accounts against PowerOffice Go's GL accounts and VAT codes (pure)."""
    theirs = {int(r["AccountNo"]): r for r in gl_rows if r.get("AccountNo") is not None}
    codes = {str(r.get("Code")) for r in vat_rows if r.get("Code") is not None}
    accounts = list(accounts)
    missing, inactive, differs, unknown = [], [], [], set()
    for account in accounts:
        row = theirs.get(int(account.number))
        ours = (account.external_vat_code or "").strip()
        if ours and codes and ours not in codes:
            unknown.add(ours)
        if row is None:
            missing.append(int(account.number))
            continue
        if row.get("IsActive") is False:
            inactive.append(int(account.number))
        their_code = "" if row.get("VatCode") in (None, "") else str(row.get("VatCode"))
        if ours and their_code and their_code != ours:
            differs.append([str(account.number), ours, their_code])
    return AccountPlan(len(accounts), len(theirs), len(codes), missing, inactive, differs,
                       sorted(unknown))  # fmt: skip


# -- the reader ------------------------------------------------------------------------------------
class PowerOfficeReconciliationReader:
    def __init__(self, connection, client) -> None:
        self.connection = connection
        self.client = client
        self.client.page_size = PAGE_SIZE
        code = getattr(connection.client, "reference_code", "") or ""
        self.prefix = f"LB-{code}-" if code else "LB-\x00"

    @property
    def compare_kid(self) -> bool:
        """Route A carries the KID (Cid); the manual-journal route loses it."""
        row = PowerOfficeSettings.objects.filter(connection=self.connection).first()
        return row is None or row.voucher_route != VoucherRoute.MANUAL_JOURNAL

    # -- documents -----------------------------------------------------------------------------
    def documents(self, date_from: dt.date, date_to: dt.date):
        ours = self.our_invoices(date_from, date_to) + self.our_orders(date_from, date_to)
        theirs = [
            doc for row in self.client.list_customer_ledger_statement(
                from_date=date_from, to_date=date_to)
            if (doc := parse_ledger_entry(row, prefix=self.prefix))
        ]  # fmt: skip
        since = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        orders = self.client.list_sales_orders(
            onlyCreatedByCurrentIntegration=True,
            lastChangedDateTimeOffsetGreaterThan=since.isoformat(),
        )
        for row in orders:
            doc = parse_sales_order(row, prefix=self.prefix)
            if doc.date is None or date_from <= doc.date <= date_to:
                theirs.append(doc)
        return ours, theirs

    def _links(self, model) -> dict[int, str]:
        content_type = ContentType.objects.get_for_model(model)
        rows = ExternalLink.objects.filter(connection=self.connection, content_type=content_type)
        return dict(rows.values_list("object_id", "external_id"))

    def our_invoices(self, date_from, date_to) -> list[OurDocument]:
        from accounting.models import Invoice

        links = self._links(Invoice)
        rows = (
            Invoice.objects.filter(client=self.connection.client, state=Invoice.State.FINALIZED,
                                   invoice_date__range=(date_from, date_to))
            .select_related("customer").annotate(total=Sum("lines__amount_incl_vat"))
            .order_by("number")
        )  # fmt: skip
        if self.connection.enabled_since:
            rows = rows.filter(invoice_date__gte=self.connection.enabled_since)
        return [
            OurDocument(
                obj=invoice, what=CREDIT_NOTE if invoice.is_credit_note else INVOICE,
                number=str(invoice.number), reference=invoice.transfer_reference,
                amount=invoice.total or Decimal("0.00"), currency=invoice.currency_code,
                customer=str(customer_number(invoice.customer)), date=invoice.invoice_date,
                kid=invoice.kid or "", external_id=links.get(invoice.pk, ""),
            )  # fmt: skip
            for invoice in rows.iterator(chunk_size=2000)
        ]

    def our_orders(self, date_from, date_to) -> list[OurDocument]:
        from accounting.models import SalesOrder
        from pos.models import PosSale

        docs = []
        links = self._links(PosSale)
        start = timezone.make_aware(dt.datetime.combine(date_from, dt.time()))
        end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
        sales = PosSale.objects.filter(
            client=self.connection.client, sold_at__gte=start, sold_at__lt=end
        ).exclude(transfer_reference="").select_related("customer")
        for sale in sales.iterator(chunk_size=2000):
            docs.append(OurDocument(
                obj=sale, what="pos_sale", number=sale.number, reference=sale.transfer_reference,
                currency="NOK", customer=str(customer_number(sale.customer)),
                date=timezone.localtime(sale.sold_at).date(),
                external_id=links.get(sale.pk, "") or sale.external_id,
            ))  # fmt: skip
        links = self._links(SalesOrder)
        orders = SalesOrder.objects.filter(
            client=self.connection.client, order_date__range=(date_from, date_to),
            invoiced_at__isnull=False,
        ).exclude(transfer_reference="").select_related("customer")  # fmt: skip
        for order in orders.iterator(chunk_size=2000):
            docs.append(OurDocument(
                obj=order, what="sales_order", number=str(order.number),
                reference=order.transfer_reference, currency=order.currency_code,
                customer=str(customer_number(order.customer)), date=order.order_date,
                external_id=links.get(order.pk, ""),
            ))  # fmt: skip
        return docs

    # -- acting on a document found there --------------------------------------------------
    def bind_found(self, doc: OurDocument, theirs: TheirDocument, *, run) -> str:
        """Bind `doc` to what was found there, mark its transfer succeeded with a note, upload
        the invoice PDF when PowerOffice Go has none. Returns what was done, for the item."""
        transfer = doc.transfer
        if transfer is not None and transfer.status == TransferStatus.RUNNING:
            return _("its transfer is running right now; the transfer binds it itself.")
        # A transfer still waiting (e.g. for a disabled connection) would otherwise send it
        # again: bound here, it finds the link and skips.
        note = _("Found in PowerOffice Go by reconciliation run %(run)s (voucher %(no)s) and "
                 "bound; the earlier failure was not final.") % {
                     "run": run.pk, "no": theirs.voucher_no or theirs.external_id}  # fmt: skip
        with transaction.atomic():
            external_link_bind(connection=self.connection, obj=doc.obj,
                               external_id=theirs.external_id)  # fmt: skip
            send = document_send_for(connection=self.connection, obj=doc.obj)
            if send is not None:
                document_send_finish(send=send)
            if transfer is not None:
                _transfer_mark_found(transfer, theirs.external_id, note)
            if doc.what == "pos_sale":
                from pos.services import pos_sale_mark_sent

                pos_sale_mark_sent(sale=doc.obj, external_id=theirs.external_id)
        done = [_("bound to %(id)s") % {"id": theirs.external_id}]
        if transfer is not None:
            done.append(_("transfer marked succeeded"))
        if doc.family == "invoice":
            done.append(self._upload_pdf_if_missing(doc.obj, theirs.external_id))
        return "; ".join(done) + "."

    def _upload_pdf_if_missing(self, invoice, voucher_id: str) -> str:
        from .vouchers import invoice_pdf_file

        rows = self.client.list_voucher_documentation(voucher_id)
        if any(row.get("HasPdf") for row in rows):
            return _("the PDF was there already")
        pdf = invoice_pdf_file(invoice)
        if pdf is None:
            return _("the invoice has no PDF to upload")
        filename, content = pdf
        self.client.upload_voucher_pdf(voucher_id, content, filename)
        return _("PDF %(name)s uploaded") % {"name": filename}

    # -- registers -----------------------------------------------------------------------------
    def registers(self) -> list[RegisterChange]:
        from accounting.models import Customer, Project

        changes = []
        customers = self._bound(Customer)
        if customers:
            remote = {str(r["Id"]): r for r in self.client.list_customers()}
            for customer, external_id in customers:
                wanted = {"Number": str(customer_number(customer)), "Name": customer.name,
                          "OrganizationNumber": customer.organization_number or ""}  # fmt: skip
                changes += self._compare(customer, "customer", external_id, wanted, remote)
        projects = self._bound(Project)
        if projects:
            remote = {str(r["Id"]): r for r in self.client.list_projects()}
            for project, external_id in projects:
                wanted = {"Code": str(project.number), "Name": project.name}
                changes += self._compare(project, "project", external_id, wanted, remote)
        return changes

    def _bound(self, model) -> list[tuple[Any, str]]:
        links = self._links(model)
        rows = model.objects.filter(client=self.connection.client, pk__in=list(links)[:50000])
        return [(obj, links[obj.pk]) for obj in rows.order_by("pk")]

    @staticmethod
    def _compare(obj, what: str, external_id: str, wanted: Dto, remote: dict) -> list:
        number = str(wanted.get("Number") or wanted.get("Code"))
        row = remote.get(str(external_id))
        if row is None:
            return [RegisterChange(obj, what, number, external_id, [],
                                   _("not found in PowerOffice Go (deleted there?)"))]  # fmt: skip
        differences = [
            [name, value, "" if row.get(name) is None else str(row.get(name))]
            for name, value in wanted.items()
            if str(value or "").strip() != str(row.get(name) or "").strip()
        ]
        return [RegisterChange(obj, what, number, external_id, differences)] if differences else []

    # -- account plan --------------------------------------------------------------------------
    def account_plan(self) -> AccountPlan:
        from accounting.models import Account

        accounts = Account.objects.filter(client=self.connection.client).order_by("number")
        gl_rows = list(self.client.list_general_ledger_accounts())
        vat_rows = list(self.client.list_vat_codes())
        return compare_account_plan(accounts, gl_rows, vat_rows)


def _transfer_mark_found(transfer: Transfer, external_id: str, note: str) -> None:
    """The transfer's document is in the accounting system after all: succeeded, with a note."""
    result = {**(transfer.result or {}), "reconciliation": note}
    # Not a transfer a worker claimed meanwhile (it binds the document itself).
    Transfer.objects.filter(pk=transfer.pk).exclude(status=TransferStatus.RUNNING).update(
        status=TransferStatus.SUCCEEDED, external_id=str(external_id), last_error="",
        result=result, finished_at=timezone.now(), error_group="",
    )  # fmt: skip
    transfer.status, transfer.external_id, transfer.result = (
        TransferStatus.SUCCEEDED, str(external_id), result)  # fmt: skip


def reconciliation_reader(connection, *, client=None):
    """The reader for a PowerOffice Go connection, its client reading at low priority."""
    from integrations.reconciliation.pacing import low_priority_limiter

    from .client import PowerOfficeClient

    if client is None:
        client = PowerOfficeClient.for_connection(connection, rate_limiter=low_priority_limiter())
    return PowerOfficeReconciliationReader(connection, client)

