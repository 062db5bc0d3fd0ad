"""Sales orders in the PowerOffice sandbox, as the nightly POS batch uses them.

Emulated on top of `Books.create_sales_order` (unique ExternalImportReference per client):
- POST /SalesOrders/Complete also checks that the customer (CustomerId/CustomerNo) and every
  line's product (ProductId/ProductCode) exist, answering 404 "Object(s) not found" as the API
  does for a referenced id that does not exist, and stamps the order's read-only fields;
- GET /SalesOrders with the filters the batch sends (customerNos, onlyCreatedByCurrentIntegration,
  lastChangedDateTimeOffsetGreaterThan, orderStatus), GET /SalesOrders/{id};
- POST /SalesOrders/{id}/createAndSendInvoice (202) and GET /SalesOrders/sentState?id=.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable

from werkzeug.wrappers import Response

from integrations.sandbox.problems import NotEmulated, Problem, json_response

from .books import Books
from .handlers import Call, answer, paged
from .registers import Row, parse_ranges

_invoice_numbers = itertools.count(70001)
KNOWN_FILTERS = {
    "customernos", "onlycreatedbycurrentintegration", "lastchangeddatetimeoffsetgreaterthan",
    "orderstatus", "pagenumber", "pagesize", "fields", "orderby", "usedatabasevalidation",
}  # fmt: skip


def _not_found(detail: str) -> Problem:
    return Problem(404, "Object(s) not found", detail)


def _customer(books: Books, body: Row) -> Row:
    customers = books.register("Customers").rows.values()
    if body.get("CustomerId") is not None:
        match = [c for c in customers if c.get("Id") == body["CustomerId"]]
        where = f"CustomerId {body['CustomerId']}"
    else:
        match = [c for c in customers if c.get("Number") == body.get("CustomerNo")]
        where = f"CustomerNo {body.get('CustomerNo')}"
    if not match:
        raise _not_found(f"{where} was not found.")
    return match[0]


def _check_products(books: Books, lines: list[Row]) -> None:
    products = books.register("Products").rows.values()
    ids = {p.get("Id") for p in products}
    codes = {str(p.get("Code")).lower() for p in products}
    for index, line in enumerate(lines):
        if line.get("ProductId") is not None and line["ProductId"] not in ids:
            raise _not_found(f"SalesOrderLines[{index}].ProductId {line['ProductId']} not found.")
        code = line.get("ProductCode")
        if code is not None and str(code).lower() not in codes:
            raise _not_found(f"SalesOrderLines[{index}].ProductCode {code} not found.")


def _create(books: Books, call: Call) -> Response:
    customer = _customer(books, call.body)
    _check_products(books, call.body.get("SalesOrderLines") or [])
    order = books.create_sales_order(call.body)
    now = dt.datetime.now(dt.UTC).isoformat()
    order.update(
        CustomerId=customer["Id"], CustomerNo=customer.get("Number"),
        CreatedDateTimeOffset=now, LastChangedDateTimeOffset=now,
        IsCreatedByCurrentIntegration=True,
    )
    return answer(call, order)


def _order(books: Books, call: Call) -> Row:
    order = books.sales_orders.get(call.params["id"])
    if order is None:
        raise _not_found(f"Sales order {call.params['id']} was not found.")
    return order


def _list(books: Books, call: Call) -> Response:
    query = {k.lower(): v for k, v in call.query.items()}
    unknown = set(query) - KNOWN_FILTERS
    if unknown:
        raise NotEmulated(f"Filter {', '.join(sorted(unknown))} is not emulated by this sandbox.")
    rows = sorted(books.sales_orders.values(), key=lambda o: o["SalesOrderNo"])
    if "customernos" in query:
        wanted = parse_ranges(query["customernos"])
        rows = [o for o in rows if wanted(o.get("CustomerNo"))]
    if query.get("onlycreatedbycurrentintegration", "").lower() == "true":
        rows = [o for o in rows if o.get("IsCreatedByCurrentIntegration")]
    if "lastchangeddatetimeoffsetgreaterthan" in query:
        since = dt.datetime.fromisoformat(query["lastchangeddatetimeoffsetgreaterthan"])
        changed = "LastChangedDateTimeOffset"
        rows = [o for o in rows if dt.datetime.fromisoformat(o[changed]) > since]
    if "orderstatus" in query:
        rows = [o for o in rows if o.get("SalesOrderStatus") == query["orderstatus"]]
    return paged(call, rows)


def _create_and_send(books: Books, call: Call) -> Response:
    order = _order(books, call)
    if order.get("_invoice"):
        raise Problem(400, "Validation failed", "The sales order is already invoiced.",
                      errors={"id": ["The sales order is already invoiced."]})
    order["_invoice"] = {
        "Id": order["Id"],
        "InvoiceNo": next(_invoice_numbers),
        "InvoiceDeliveryType": (call.body or {}).get("DeliveryType") or "Auto",
        "SentDateTimeOffset": dt.datetime.now(dt.UTC).isoformat(),
        "IsInvoiceBeingProcessed": False,
        "DueDate": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
    }
    request_id = str(uuid.uuid4())
    return json_response({"Id": request_id, **(call.body or {})}, 202)


def _sent_state(books: Books, call: Call) -> Response:
    order = books.sales_orders.get(call.query.get("id", ""))
    invoice = order.get("_invoice") if order else None
    return paged(call, [invoice] if invoice else [])


SALES_ORDER_HANDLERS: dict[str, Callable[[Books, Call], Response]] = {
    "POST /SalesOrders/Complete": _create,
    "GET /SalesOrders": _list,
    "GET /SalesOrders/{id}": lambda b, c: answer(c, _order(b, c)),
    "POST /SalesOrders/{id}/createAndSendInvoice": _create_and_send,
    "GET /SalesOrders/sentState": _sent_state,
}
