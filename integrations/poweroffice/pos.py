"""The PowerOffice Go side of the nightly POS batch: one sales order per POS invoice sale.

- `pos_sale_payload()` (pure): a sale → `SalesOrderCompletePostDto` with one line per VAT rate on
  the product mapped to that rate, a gratuity line, an invoice-fee line and the note as a text
  line. No VAT code goes on lines: the product's sales account decides (NOTES.md §4).
- `PosSalesOrderApi`: the few PowerOffice calls the batch needs beyond the shared client.
- `PosSaleExporter` (a DocumentExporter): one sale, in the engine's fixed order. The order
  carries `ExternalImportReference` = the sale's transfer reference, fixed when it was first
  batched, so a create whose outcome is unknown (or that was refused) is looked up and bound
  instead of being created twice.
- `PosBatchExporter`: the POS_BATCH transfer. Sends every sale of the batch still to send,
  a page at a time and a few at once (its lanes); a sale with bad data fails alone, the rest
  goes on; progress (done of total) is stored on the transfer while it runs; returns counts as
  an ImportReport, which the engine stores and, when any sale failed, marks the transfer failed
  and e-mails the recipients. Its memory does not grow with the batch: one page is held, and
  each sale is let go of as soon as it is sent (`_release`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import Customer
from accounting.money import ZERO, money_display, round_money, split_vat
from integrations.base import DocumentExporter, ImportReport, PosProduct, TransferContext
from integrations.documents import document_reference_of
from integrations.errors import AuthError, DataError, NotFound, OutcomeUnknown, PermanentError
from integrations.lanes import lanes_declare
from integrations.models import ExternalLink, Operation, TransferKind
from pos.batch import pos_batch_finish
from pos.models import VAT_RATES, PosBatch, PosSale, PosSettings
from pos.selectors import pos_sales_of_batch_unsent
from pos.services import pos_sale_mark_failed, pos_sale_mark_sent

from .sales_orders import SalesOrderApi, numbered, text_line

Dto = dict[str, Any]


# -------------------------------------------------------------------------------------------
# Mapping (pure)
# -------------------------------------------------------------------------------------------
def pos_sale_reference(sale: PosSale) -> str:
    """The sale's ExternalImportReference: its transfer reference, fixed when first batched."""
    return document_reference_of(sale)


def pos_sale_amounts_by_rate(sale: PosSale, lines) -> dict[int, Decimal]:
    """Sum of line totals including VAT per VAT rate, in the order 25, 15, 12, 0 %."""
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        sums[int(line.vat_rate)] += round_money(line.amount_incl_vat)
    return {rate: sums[rate] for rate in sorted(sums, reverse=True) if sums[rate] != ZERO}


def _sale_lines(sale: PosSale, settings: PosSettings, lines) -> list[Dto]:
    result = []
    for rate, amount in pos_sale_amounts_by_rate(sale, lines).items():
        product_id = settings.product_id_for(rate)
        if not product_id:
            raise DataError(
                _("%(sale)s: no PowerOffice Go product id for %(rate)s %% VAT (POS settings, "
                  "“product id, %(rate)s %% VAT”).") % {"sale": sale.label, "rate": rate},
                record=sale.label,
                field=f"product_id_vat_{rate}",
            )
        if settings.send_amounts_excluding_vat:
            amount, _vat = split_vat(amount_incl_vat=amount, vat_rate=Decimal(rate))
        result.append({
            "ProductId": product_id,
            "Description": f"POS {sale.number}: {rate} % VAT",
            "Quantity": 1,
            "ProductUnitPrice": amount,
            "LineType": "Normal",
        })
    return result


def _gratuity_line(sale: PosSale, settings: PosSettings) -> list[Dto]:
    if not sale.gratuity_amount:
        return []
    if not settings.gratuity_product_id:
        raise DataError(
            _("%(sale)s: gratuity %(amount)s but no gratuity product id (POS settings, "
              "“gratuity product id”).")
            % {"sale": sale.label, "amount": money_display(sale.gratuity_amount)},
            record=sale.label,
            field="gratuity_product_id",
        )
    return [{
        "ProductId": settings.gratuity_product_id,
        "Description": "Gratuity",
        "Quantity": 1,
        "ProductUnitPrice": round_money(sale.gratuity_amount),
        "LineType": "Normal",
    }]


def _fee_line(settings: PosSettings) -> list[Dto]:
    if not settings.invoice_fee_product_id:
        return []
    line: Dto = {"ProductId": settings.invoice_fee_product_id, "Quantity": 1,
                 "LineType": "InvoiceFee"}
    if settings.invoice_fee_amount is not None:
        line["ProductUnitPrice"] = round_money(settings.invoice_fee_amount)
    return [line]  # no price: PowerOffice Go uses the product's own price


def pos_sale_payload(
    sale: PosSale, *, settings: PosSettings, customer_id: int, lines=None
) -> Dto:
    """The SalesOrderCompletePostDto for one POS sale (see the module docstring)."""
    lines = list(sale.lines.all() if lines is None else lines)
    order_lines = _sale_lines(sale, settings, lines) + _gratuity_line(sale, settings)
    order_lines = numbered(order_lines + _fee_line(settings) + text_line(sale.note))
    payload: Dto = {
        "CustomerId": int(customer_id),
        "SalesOrderDate": timezone.localtime(sale.sold_at).date().isoformat(),
        "SalesOrderStatus": "Confirmed" if settings.send_to_customer else "Draft",
        "CurrencyCode": "NOK",
        "ExternalImportReference": pos_sale_reference(sale),
        "CustomerReference": f"POS {sale.till} {sale.number}".replace("  ", " ")[:100],
        "SalesOrderLines": order_lines,
    }
    if sale.number.isdigit() and len(sale.number) < 18:
        payload["ImportedOrderNo"] = int(sale.number)
    return payload


# -------------------------------------------------------------------------------------------
# PowerOffice calls the batch needs (transport is the shared client's)
# -------------------------------------------------------------------------------------------
class PosSalesOrderApi(SalesOrderApi):
    """Sales-order and product calls of the POS batch, over a PowerOfficeClient (create and
    find-by-reference are the shared SalesOrderApi's)."""

    def invoice_already_sent(self, order_id: str) -> bool:
        rows = self.client._get("/SalesOrders/sentState", {"id": order_id}) or []
        return any(
            r.get("InvoiceNo") or r.get("SentDateTimeOffset") or r.get("IsInvoiceBeingProcessed")
            for r in rows
        )

    def create_and_send_invoice(self, order_id: str, *, voucher_date: dt.date) -> None:
        body = {"DeliveryType": "Auto", "VoucherDate": voucher_date.isoformat()}
        self.client._post_action(f"/SalesOrders/{order_id}/createAndSendInvoice", body)

    def product(self, product_id: int) -> Dto | None:
        """The product with this id, None when PowerOffice Go does not have it."""
        try:
            return self.client.get_product(int(product_id)) or None
        except NotFound:
            return None

    def product_exists(self, product_id: int) -> bool:
        return self.product(product_id) is not None

    def find_customer_id(self, number: int) -> int | None:
        for row in self.client.list_customers(numbers=[number]):
            if str(row.get("Number")) == str(number):
                return int(row["Id"])
        return None


def _account_numbers(client) -> dict[Any, str]:
    """General ledger account id -> account number, to show a product's sales account."""
    return {
        row.get("Id"): str(row.get("AccountNo"))
        for row in client.list_general_ledger_accounts()
        if row.get("Id") is not None
    }


def _pos_product(row: Dto, accounts: dict[Any, str]) -> PosProduct:
    account_id = row.get("StandardSalesAccountId")
    return PosProduct(
        external_id=int(row["Id"]),
        code=str(row.get("Code") or ""),
        name=str(row.get("Name") or ""),
        sales_account=accounts.get(account_id, str(account_id or "")),
    )


def fetch_pos_products(*, connection) -> list[PosProduct]:
    """PowerOffice Go's active products with code, name and sales account, by code."""
    from .client import PowerOfficeClient

    client = PowerOfficeClient.for_connection(connection)
    accounts = _account_numbers(client)
    products = [
        _pos_product(row, accounts)
        for row in client.list_products()
        if row.get("Id") is not None and not row.get("IsArchived")
    ]
    return sorted(products, key=lambda p: (p.code.zfill(20) if p.code.isdigit() else p.code))


def fetch_configured_pos_products(
    *, connection, pos_settings: PosSettings
) -> list[tuple[str, int, PosProduct | None]]:
    """(label, id, product or None when PowerOffice Go does not know the id) for each product
    id the settings name, in form order."""
    from .client import PowerOfficeClient

    client = PowerOfficeClient.for_connection(connection)
    api = PosSalesOrderApi(client)
    configured = pos_settings.configured_product_ids()
    accounts = _account_numbers(client) if configured else {}
    result = []
    for label, product_id in configured.items():
        row = api.product(product_id)
        result.append((label, product_id, _pos_product(row, accounts) if row else None))
    return result


def fetch_missing_pos_products(*, connection, pos_settings: PosSettings) -> list[str]:
    """"label (id)" of each configured product id that PowerOffice Go does not know."""
    return [
        f"{label} ({product_id})"
        for label, product_id, product in fetch_configured_pos_products(
            connection=connection, pos_settings=pos_settings
        )
        if product is None
    ]


class CustomerResolver:
    """The PowerOffice Go id of each forced invoice customer, found once per batch: through the
    customer's ExternalLink on this connection, or by number in PowerOffice Go."""

    def __init__(self, connection, api: PosSalesOrderApi) -> None:
        self.connection = connection
        self.api = api
        self._ids: dict[int, int | None] = {}

    @staticmethod
    def number_of(customer: Customer) -> int:
        return customer.external_ledger_number or customer.number

    def customer_id(self, sale: PosSale) -> int:
        customer = sale.customer
        if customer.pk not in self._ids:
            self._ids[customer.pk] = self._linked(customer) or self.api.find_customer_id(
                self.number_of(customer)
            )
        found = self._ids[customer.pk]
        if found is None:
            raise DataError(
                _("%(sale)s: invoice customer %(number)s (%(name)s) does not exist in "
                  "PowerOffice Go. Transfer the customer first, or choose a customer that exists "
                  "there.")
                % {"sale": sale.label, "number": customer.number, "name": customer.name},
                record=sale.label,
                field="customer",
            )
        return found

    def _linked(self, customer: Customer) -> int | None:
        external_id = ExternalLink.objects.filter(
            connection=self.connection,
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=customer.pk,
        ).values_list("external_id", flat=True).first()
        return int(external_id) if external_id and external_id.isdigit() else None


# -------------------------------------------------------------------------------------------
# Exporters
# -------------------------------------------------------------------------------------------
class PosSaleExporter(DocumentExporter):
    """One POS sale → one PowerOffice Go sales order (created once, never updated)."""

    kind = "pos_sale"
    updatable = False

    def __init__(self, context: TransferContext, *, settings: PosSettings,
                 customers: CustomerResolver, api: PosSalesOrderApi) -> None:
        super().__init__(context)
        self.settings = settings
        self.customers = customers
        self.api = api

    def should_skip(self, sale: PosSale) -> str:
        return "already sent" if sale.status == PosSale.Status.SENT else super().should_skip(sale)

    def reload(self, sale: PosSale) -> PosSale:
        fresh = super().reload(sale)
        fresh.customer = sale.customer  # keep what the batch already loaded
        fresh._prefetched_objects_cache = getattr(sale, "_prefetched_objects_cache", {})
        return fresh

    def build_payload(self, sale: PosSale) -> Dto:
        customer_id = self.customers.customer_id(sale)
        return pos_sale_payload(sale, settings=self.settings, customer_id=customer_id)

    def create(self, payload: Dto) -> str:
        return self.api.create_sales_order(payload)

    def look_up(self, sale: PosSale, payload: Dto) -> str | None:
        return self.api.find_sales_order(
            reference=payload["ExternalImportReference"],
            customer_no=self.customers.number_of(sale.customer),
            since=sale.sold_at - dt.timedelta(days=1),
        )

    def after_export(self, sale: PosSale, external_id: str) -> None:
        """Invoice and send the order (unless an earlier attempt did), then mark the sale sent.
        Repeated until it has finished once (DocumentExporter)."""
        if self.settings.send_to_customer and not (
            self.sent_before and self.api.invoice_already_sent(external_id)
        ):
            day = timezone.localtime(sale.sold_at).date()
            self.api.create_and_send_invoice(external_id, voucher_date=day)
        pos_sale_mark_sent(sale=sale, external_id=external_id)


class PosBatchExporter:
    """The POS_BATCH transfer of one PosBatch. Registered in the connector's `importers` map:
    like an import it works through many records and returns counts (ImportReport)."""

    kind = TransferKind.POS_BATCH

    def __init__(self, context: TransferContext) -> None:
        self.context = context
        self.connection = context.connection
        self.handed_out = 0  # sales of this run handed to the lanes so far

    def run(self) -> ImportReport:
        batch = self.context.transfer.object
        if not isinstance(batch, PosBatch):
            raise DataError(
                _("%(object)s no longer exists.")
                % {"object": self.context.transfer.describe_object()}
            )
        total = pos_sales_of_batch_unsent(batch=batch).count()
        report = ImportReport(fetched=total)
        self.context.progress(done=0, total=total, sent=0, failed=0)
        unknown: list[OutcomeUnknown] = []
        lanes = _Lanes(self, batch, report, unknown)
        lanes.send(self._pages(batch, report, lanes.stop))
        self.context.progress(done=self.handed_out, sent=report.created, failed=report.failed)
        if unknown:
            raise OutcomeUnknown(
                _("%(count)d of %(total)d sales were sent without a usable answer (%(first)s); "
                  "each is looked up before it is sent again.")
                % {"count": len(unknown), "total": total, "first": unknown[0].message},
                system=unknown[0].system, operation=unknown[0].operation,
            )  # fmt: skip
        pos_batch_finish(batch=batch)
        return report

    def _pages(self, batch: PosBatch, report: ImportReport,
               stop: threading.Event) -> Iterator[PosSale]:  # fmt: skip
        """The batch's unsent sales, oldest first, one page in memory at a time: each page is
        read after the last sale handed out (keyset, so nothing of the batch's size is held,
        not even its ids) when the lanes have taken the page before, while its last sales are
        still on their way. The progress is stored as each page is handed out. None after a
        stop. `handed_out` counts the sales handed out."""
        size = max(1, django_settings.POWEROFFICE_POS_PAGE_SIZE)
        page = list(pos_sales_of_batch_unsent(batch=batch)[:size])
        while page and not stop.is_set():
            if self.handed_out:
                self.context.progress(
                    done=self.handed_out, sent=report.created, failed=report.failed
                )
            last = page[-1]
            self.handed_out += len(page)
            yield from page
            page = list(pos_sales_of_batch_unsent(batch=batch, after=last)[:size])

    def send_one(self, exporter: PosSaleExporter, sale: PosSale, report: ImportReport,
                 unknown: list[OutcomeUnknown], lock: threading.Lock) -> None:
        """Send one sale and count its outcome (any lane's thread)."""
        try:
            counter = self._send_one(exporter, sale)
        except OutcomeUnknown as err:  # look it up on the next attempt; the rest goes on
            with lock:
                unknown.append(err)
            return
        with lock:
            setattr(report, counter[0], getattr(report, counter[0]) + 1)
            if counter[1]:
                report.errors.append(counter[1])

    def _sale_exporter(self, batch: PosBatch) -> PosSaleExporter:
        settings = PosSettings.objects.get(client_id=batch.client_id)
        api = PosSalesOrderApi(self.context.client)
        return PosSaleExporter(
            self.context, settings=settings, customers=CustomerResolver(self.connection, api),
            api=api,
        )

    def _send_one(self, exporter: PosSaleExporter, sale: PosSale) -> tuple[str, str]:
        """(report counter to add one to, error message or "")."""
        try:
            result = exporter.export(sale, operation=Operation.CREATE)
        except AuthError:
            raise  # the whole connection waits; nothing to blame on this sale
        except (DataError, PermanentError) as err:
            message = getattr(err, "message", "") or str(err)
            if sale.label not in message:
                message = f"{sale.label}: {message}"
            pos_sale_mark_failed(sale=sale, error=message)
            return "failed", message
        return ("skipped" if result.outcome == "skipped" else "created"), ""


#: Each batch a worker runs (one per transfer lane) gets its own share of the pos lanes.
pos_lanes = lanes_declare(
    "pos",
    lambda: django_settings.POWEROFFICE_POS_CONCURRENCY
    * max(1, django_settings.INTEGRATIONS_WORKER_LANES),
)


class _Lanes:
    """Sales of a batch in flight at once, on the process's `pos` lanes
    (integrations.lanes: `POWEROFFICE_POS_CONCURRENCY` threads that keep their database
    connections), so the batch's requests overlap within the rate budget. Each thread sends
    with its own API client. One at a time on SQLite (one writer) and inside a caller's
    transaction. The first error that stops the batch (AuthError, a database fault) is raised
    once the page's sales in flight have ended; the rest of the page is not sent."""

    def __init__(self, owner: PosBatchExporter, batch: PosBatch, report, unknown) -> None:
        self.owner, self.batch, self.report, self.unknown = owner, batch, report, unknown
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.local = threading.local()  # each thread's exporter, for this batch only

    def send(self, sales: Iterable[PosSale]) -> None:
        pos_lanes().each(self._send, sales, width=django_settings.POWEROFFICE_POS_CONCURRENCY)

    def _send(self, sale: PosSale) -> None:
        if self.stop.is_set():
            return
        try:
            exporter = getattr(self.local, "exporter", None)
            if exporter is None:
                exporter = self.local.exporter = self._exporter()
            self.owner.send_one(exporter, sale, self.report, self.unknown, self.lock)
        except BaseException:
            self.stop.set()
            raise
        finally:
            _release(sale)

    def _exporter(self) -> PosSaleExporter:
        context = TransferContext(
            transfer=self.owner.context.transfer, connector=self.owner.context.connector
        )
        return PosBatchExporter(context)._sale_exporter(self.batch)


def _release(sale: PosSale) -> None:
    """Let go of a sent (or failed) sale's prefetched lines. Each prefetched line caches its
    sale, so a sale and its lines form a reference cycle that Python frees only at a full
    garbage collection, which a long batch reaches after thousands of sales: the batch's
    memory grew with its size. Emptied, the cache frees the sale, its lines and the customer
    and client it loaded as soon as its lane and page let go of it. The cache is shared with
    the copy `PosSaleExporter.reload` made."""
    cache = getattr(sale, "_prefetched_objects_cache", None)
    if cache:
        cache.clear()


__all__ = [
    "VAT_RATES",
    "CustomerResolver",
    "PosBatchExporter",
    "PosSaleExporter",
    "PosSalesOrderApi",
    "fetch_configured_pos_products",
    "fetch_missing_pos_products",
    "fetch_pos_products",
    "pos_sale_payload",
    "pos_sale_reference",
]


def pos_settings_test(*, pos_settings: PosSettings) -> tuple[bool, str]:
    """"Test connection" of the POS settings page: every configured product id exists in
    PowerOffice Go, and the keys work. The message leads with the reason and gives one line per
    product; the connection's own report (client name, privileges) comes last."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from integrations.connections import connection_test
    from integrations.errors import ConnectionMisconfigured, IntegrationError
    from integrations.outbox import System, connection_for

    connection = connection_for(client=pos_settings.client, system=System.POWEROFFICE)
    if connection is None:
        return False, _("%(client)s has no PowerOffice Go connection. Add one first.") % {
            "client": pos_settings.client}
    result = connection_test(connection=connection)
    connection_line = _("Connection: %(result)s") % {"result": result.message}
    try:
        products = fetch_configured_pos_products(connection=connection, pos_settings=pos_settings)
    except (IntegrationError, ConnectionMisconfigured) as err:
        head = _("The product ids could not be checked: %(error)s") % {"error": err}
        return False, "\n".join([head, connection_line])
    if not products:
        return False, "\n".join([
            _("No product ids are set: pick the products from PowerOffice Go's list below."),
            connection_line,
        ])
    missing = [(label, product_id) for label, product_id, product in products if not product]
    lines = []
    for label, product_id, product in products:
        if product is None:
            lines.append(_("%(label)s: %(id)s does not exist in PowerOffice Go.")
                         % {"label": label, "id": product_id})
        else:
            lines.append(_("%(label)s: %(id)s = %(code)s %(name)s (sales account %(account)s)")
                         % {"label": label, "id": product_id, "code": product.code,
                            "name": product.name, "account": product.sales_account or "—"})
    if missing:
        head = ngettext(
            "%(count)d product id does not exist in PowerOffice Go; pick it from the product "
            "list:",
            "%(count)d product ids do not exist in PowerOffice Go; pick them from the product "
            "list:",
            len(missing),
        ) % {"count": len(missing)}
        return False, "\n".join([head, *lines, connection_line])
    head = ngettext(
        "The configured product id exists in PowerOffice Go:",
        "All %(count)d configured product ids exist in PowerOffice Go:",
        len(products),
    ) % {"count": len(products)}
    if not result.ok:
        head = _("The products are found, but the connection reports a problem:")
    return result.ok, "\n".join([head, *lines, connection_line])
