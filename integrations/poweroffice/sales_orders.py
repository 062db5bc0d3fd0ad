"""Sales orders in PowerOffice Go (`POST /SalesOrders/Complete`, NOTES.md §4), shared by the POS
batch (`pos.py`) and the inventory flow's order drafts (`SalesOrderExporter` here).

Shared pieces: `text_line()` (a note as a Text line), `numbered()` (SortOrder 1..n) and
`SalesOrderApi` (create; find by our ExternalImportReference).

An order marked invoiced (accounting.services.sales_order_mark_invoiced) becomes a Draft:
ImportedOrderNo = our invoice number, ContractNo = our order number, CustomerReference = their
reference, PurchaseOrderReference = the header, SalesPersonEmployeeNumber = our reference (the
employee; the Dto has no free-text "our reference"), the note as the first (text) line, then one
line per order line with ProductCode, Description, Quantity, Allowance (discount %) and
ProductUnitPrice. Sent once: the ExternalImportReference is the order's fixed transfer
reference, and the order is looked up by it whenever an earlier send's outcome is unknown or
the send is refused (integrations.base.DocumentExporter).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounting.models import SalesOrder
from integrations.base import DocumentExporter
from integrations.documents import document_reference_of
from integrations.models import TransferKind

from .exporters import CustomerExporter, EmployeeExporter, PowerOfficeExporter
from .mapping_registers import ledger_number

Dto = dict[str, Any]


# -- shared payload pieces (pure) ----------------------------------------------------------------
def text_line(note: str) -> list[Dto]:
    """The note as a Text line ([] when blank)."""
    note = (note or "").strip()
    return [{"Description": note[:500], "LineType": "Text"}] if note else []


def numbered(lines: list[Dto]) -> list[Dto]:
    """Lines in their order, with SortOrder 1..n."""
    for index, line in enumerate(lines, 1):
        line["SortOrder"] = index
    return lines


# -- the order draft (pure) ------------------------------------------------------------------------
def sales_order_reference(order: SalesOrder) -> str:
    """ExternalImportReference: the order's transfer reference, fixed when it was invoiced."""
    return document_reference_of(order)


def sales_order_payload(order: SalesOrder, *, customer_id: int, lines=None) -> Dto:
    """SalesOrderCompletePostDto of an invoiced order, as a Draft."""
    lines = list(order.lines.select_related("product") if lines is None else lines)
    order_lines = text_line(order.note) + [
        {
            "ProductCode": line.product.code if line.product_id else None,
            "Description": (line.description or (line.product.name if line.product_id else ""))
            or None,
            "Quantity": line.quantity,
            "Allowance": line.discount_percent,
            "ProductUnitPrice": line.unit_price,
            "LineType": "Normal",
        }
        for line in lines
    ]
    payload: Dto = {
        "CustomerId": int(customer_id),
        "SalesOrderDate": order.order_date,
        "SalesOrderStatus": "Draft",
        "CurrencyCode": order.currency_code,
        "ImportedOrderNo": order.invoice_number,
        "ContractNo": str(order.number),
        "CustomerReference": order.your_reference or None,
        "PurchaseOrderReference": order.header or None,
        "ExternalImportReference": sales_order_reference(order),
        "SalesOrderLines": numbered(order_lines),
    }
    if order.our_reference_id:
        payload["SalesPersonEmployeeNumber"] = ledger_number(order.our_reference)
    return payload


# -- calls --------------------------------------------------------------------------------------
class SalesOrderApi:
    """Sales-order calls over a PowerOfficeClient (transport and errors are the client's)."""

    def __init__(self, client) -> None:
        self.client = client

    def create_sales_order(self, payload: Dto) -> str:
        return str(self.client.create_sales_order(payload)["Id"])

    def find_sales_order(
        self, *, reference: str, customer_no: int | None, since: dt.datetime
    ) -> str | None:
        params = {"onlyCreatedByCurrentIntegration": True, "customerNos": customer_no,
                  "lastChangedDateTimeOffsetGreaterThan": since.isoformat()}  # fmt: skip
        for row in self.client._list("/SalesOrders", params):
            if row.get("ExternalImportReference") == reference:
                return str(row["Id"])
        return None


class SalesOrderExporter(DocumentExporter, PowerOfficeExporter):
    """An invoiced order → a sales-order draft, created once (customer and our reference first)."""

    kind = TransferKind.SALES_ORDER
    updatable = False

    def dependency_objects(self, order: SalesOrder):
        return [(CustomerExporter, order.customer), (EmployeeExporter, order.our_reference)]

    def should_skip(self, order: SalesOrder) -> str:
        return super().should_skip(order) if order.is_invoiced else "not invoiced"

    def build_payload(self, order: SalesOrder) -> Dto:
        return sales_order_payload(order, customer_id=self.bound_id(order.customer))

    def create(self, payload: Dto) -> str:
        return SalesOrderApi(self.client).create_sales_order(payload)

    def look_up(self, order: SalesOrder, payload: Dto) -> str | None:
        return SalesOrderApi(self.client).find_sales_order(
            reference=payload["ExternalImportReference"],
            customer_no=ledger_number(order.customer),
            since=dt.datetime.combine(
                order.order_date - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
            ),
        )
