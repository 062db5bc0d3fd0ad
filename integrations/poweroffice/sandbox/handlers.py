"""The emulated operations: contract operation key -> handler(books, call) -> Response.

Anything not in HANDLERS is answered 501 by the app. Answers are shaped to the operation's
response Dto (only its properties), lists are paged (PageNumber/PageSize) and empty lists are
204 with no body, as in PowerOffice Go v2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from integrations.poweroffice import contract
from integrations.sandbox.problems import NotEmulated, Problem, json_response, no_content

from .books import Books
from .registers import PAGING_PARAMS, Row, field_in_ranges

MAX_PAGE_SIZE = 20000
DEFAULT_PAGE_SIZE = 5000


@dataclass
class Call:
    key: str  # "PATCH /Customers/{id}"
    params: dict[str, str]  # path parameters
    query: dict[str, str]
    body: Any
    request: Request


def shaped(key: str, status: int, row: Row) -> Row:
    allowed = contract.response_properties(key, str(status))
    return {k: v for k, v in row.items() if k in allowed} if allowed else row


def answer(call: Call, data: Any) -> Response:
    status = int(contract.operation(call.key)["success_statuses"][0])
    if isinstance(data, list):
        return json_response([shaped(call.key, status, row) for row in data], status)
    return json_response(shaped(call.key, status, data), status)


def paged(call: Call, rows: list[Row]) -> Response:
    query = {k.lower(): v for k, v in call.query.items()}
    number = int(query.get("pagenumber", 1))
    size = min(int(query.get("pagesize", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
    if number < 1 or size < 1:
        raise Problem(400, "Validation failed", "PageNumber and PageSize must be positive.")
    page = rows[(number - 1) * size : number * size]
    return json_response([shaped(call.key, 200, r) for r in page]) if page else no_content()


def filtered(rows: list[Row], query: dict[str, str], spec: dict[str, tuple[str, str]]) -> list[Row]:
    """Filter plain row tables; spec: query param -> (field, "range" | "from" | "to" | "list")."""
    tests: list[Callable[[Row], bool]] = []
    lower = {k.lower(): (f, kind) for k, (f, kind) in spec.items()}
    for name, value in query.items():
        if name.lower() in PAGING_PARAMS or name.lower() in IGNORED_FILTERS:
            continue
        if name.lower() not in lower:
            raise NotEmulated(f"Filter {name} is not emulated by this sandbox.")
        field, kind = lower[name.lower()]
        if kind == "range":
            tests.append(field_in_ranges(field, value))
        elif kind == "list":
            wanted = {v.strip().lower() for v in value.split(",")}
            tests.append(lambda r, f=field, w=wanted: str(r.get(f)).lower() in w)
        elif kind == "after":
            after = _instant(value)
            tests.append(lambda r, f=field, t=after: _instant(r.get(f)) > t)
        elif kind == "from":
            tests.append(lambda r, f=field, d=value[:10]: str(r.get(f))[:10] >= d)
        else:
            tests.append(lambda r, f=field, d=value[:10]: str(r.get(f))[:10] <= d)
    return [r for r in rows if all(test(r) for test in tests)]


# Accepted and not emulated: the sandbox has no sub-projects, every entry is "ours".
IGNORED_FILTERS = {"onlycreatedbycurrentintegration", "includesubproject"}


def _instant(value) -> dt.datetime:
    """An ISO 8601 date-time as an aware datetime (naive ones taken as UTC)."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as err:
        raise Problem(400, "Validation failed", f"{value!r} is not a date-time.") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- registers ------------------------------------------------------------------------------------
CONTACTS = ("Customers", "Suppliers", "Employees")
REGISTER_PATHS = {
    "Customers": "{id}",
    "Suppliers": "{id}",
    "Employees": "{employeeId}",
    "Projects": "{id}",
    "Departments": "{id}",
    "Products": "{id}",
    "ProductGroups": "{id}",
    "GeneralLedgerAccounts": "{id}",
    "ContactGroups": "{id}",
}


def _register_handlers(name: str, id_param: str) -> dict[str, Callable[[Books, Call], Response]]:
    def list_rows(books: Books, call: Call) -> Response:
        return paged(call, books.register(name).select(call.query))

    def get_row(books: Books, call: Call) -> Response:
        return answer(call, books.register(name).get(call.params[id_param.strip("{}")]))

    def create_row(books: Books, call: Call) -> Response:
        if name in CONTACTS:
            return answer(call, books.create_contact(name, call.body))
        return answer(call, books.register(name).create(call.body))

    def patch_row(books: Books, call: Call) -> Response:
        spec = contract.operation(call.key).get("patch")
        row_id = call.params[id_param.strip("{}")]
        return answer(call, books.register(name).patch(row_id, call.body, spec))

    return {
        f"GET /{name}": list_rows,
        f"GET /{name}/{id_param}": get_row,
        f"POST /{name}": create_row,
        f"PATCH /{name}/{id_param}": patch_row,
    }


def _contact_person_create(books: Books, call: Call) -> Response:
    contact_id = int(call.params["contactId"])
    if not any(contact_id in books.register(n).rows for n in ("Customers", "Suppliers")):
        raise Problem(404, "Object(s) not found", f"Contact {contact_id} was not found.")
    return answer(call, books.register("ContactPersons").create(call.body, ContactId=contact_id))


def _contact_person(books: Books, call: Call) -> Row:
    person = books.register("ContactPersons").get(call.params["id"])
    if person["ContactId"] != int(call.params["contactId"]):
        raise Problem(404, "Object(s) not found", "Contact person not found on this contact.")
    return person


def _contact_person_patch(books: Books, call: Call) -> Response:
    register = books.register("ContactPersons")
    person = _contact_person(books, call)
    spec = contract.operation(call.key).get("patch")
    return answer(call, register.patch(person["Id"], call.body, spec))


# -- settings -------------------------------------------------------------------------------------
def _vat_codes(books: Books, call: Call) -> Response:
    rows = books.vat_codes
    if call.query.get("isActive", "").lower() in ("true", "false"):
        active = call.query["isActive"].lower() == "true"
        rows = [v for v in rows if v["IsActive"] == active]
    return paged(call, rows)


def _number_series(books: Books, call: Call) -> Response:
    spec = {"subLedgerNumberSeriesType": ("SubLedgerNumberSeriesType", "list")}
    query = dict(call.query)
    kind = query.get("subLedgerNumberSeriesType")
    if kind and kind not in ("Customer", "Supplier", "Employee"):  # case sensitive, as documented
        raise Problem(400, "Validation failed", f"Unknown subLedgerNumberSeriesType {kind}.")
    return paged(call, filtered(books.number_series, query, spec))


# -- vouchers, ledger, documents --------------------------------------------------------------
TRANSACTION_FILTERS = {
    "fromDate": ("PostingDate", "from"),
    "toDate": ("PostingDate", "to"),
    "accountNos": ("AccountNo", "range"),
    "voucherNos": ("VoucherNo", "range"),
    "voucherTypes": ("VoucherType", "list"),
    "projectCodes": ("ProjectCode", "list"),
    "createdDateTimeOffsetGreaterThan": ("CreatedDateTimeOffset", "after"),
    "lastChangedDateTimeOffsetGreaterThan": ("LastChangedDateTimeOffset", "after"),
}
CHANGE_FILTERS = {
    "createdDateTimeOffsetGreaterThan": ("CreatedDateTimeOffset", "after"),
    "lastChangedDateTimeOffsetGreaterThan": ("LastChangedDateTimeOffset", "after"),
}
SUPPLIER_LEDGER_FILTERS = {
    "fromDate": ("VoucherDate", "from"),
    "toDate": ("VoucherDate", "to"),
    "invoiceNos": ("InvoiceNo", "list"),
    "supplierNos": ("SupplierAccountNo", "range"),
    "voucherTypes": ("VoucherType", "list"),
    **CHANGE_FILTERS,
}
LEDGER_FILTERS = {
    "fromDate": ("VoucherDate", "from"),
    "toDate": ("VoucherDate", "to"),
    "invoiceNos": ("InvoiceNo", "list"),
    "customerNos": ("CustomerAccountNo", "range"),
    "voucherTypes": ("VoucherType", "list"),
    "customMatchingReferences": ("CustomMatchingReference", "list"),
    **CHANGE_FILTERS,
}


def _upload(books: Books, call: Call) -> Response:
    upload = call.request.files.get("file")
    if upload is None:
        raise Problem(400, "Validation failed", "The multipart field 'file' is missing.")
    books.attach_pdf(call.query["id"], upload.filename or "document.pdf", upload.read())
    return no_content()


def _download(books: Books, call: Call) -> Response:
    content = books.documentation_zip(call.query["id"])
    return Response(content, content_type="application/zip") if content else no_content()


def _ledger_by_match(books: Books, call: Call) -> Response:
    match_id = int(call.query["matchId"])
    return paged(call, [e for e in books.ledger if e.get("MatchId") == match_id])


HANDLERS: dict[str, Callable[[Books, Call], Response]] = {
    "GET /ClientIntegrationInformation": lambda b, c: answer(c, b.client_integration_information()),
    "GET /LockDateSettings": lambda b, c: answer(c, {"LockDate": b.lock_date.isoformat()}),
    "GET /VatCodes": _vat_codes,
    "GET /SubLedgerNumberSeries": _number_series,
    "GET /ContactPersons": lambda b, c: paged(c, b.register("ContactPersons").select(c.query)),
    "POST /ContactPersons/{contactId}": _contact_person_create,
    "GET /ContactPersons/{contactId}/{id}": lambda b, c: answer(c, _contact_person(b, c)),
    "PATCH /ContactPersons/{contactId}/{id}": _contact_person_patch,
    "POST /Vouchers/OutgoingInvoiceJournals": lambda b, c: answer(
        c, b.post_outgoing_invoice(c.body)
    ),
    "GET /Vouchers/OutgoingInvoiceJournals/{id}": lambda b, c: answer(
        c, b.voucher(c.params["id"], "OutgoingInvoice")
    ),
    "POST /Vouchers/ManualJournals": lambda b, c: answer(c, b.post_manual_journal(c.body)),
    "GET /Vouchers/ManualJournals/{id}": lambda b, c: answer(
        c, b.voucher(c.params["id"], "ManualJournal")
    ),
    "PUT /VoucherDocumentation": _upload,
    "GET /VoucherDocumentation": lambda b, c: paged(c, b.documentation(c.query.get("id", ""))),
    "GET /VoucherDocumentation/Download": _download,
    "POST /SalesOrders/Complete": lambda b, c: answer(c, b.create_sales_order(c.body)),
    "GET /AccountTransactions": lambda b, c: paged(
        c, filtered(b.transactions, c.query, TRANSACTION_FILTERS)
    ),
    "GET /Customerledger/Statement": lambda b, c: paged(
        c, filtered(b.ledger, c.query, LEDGER_FILTERS)
    ),
    "GET /Customerledger/EntriesByMatchId": _ledger_by_match,
    "GET /Supplierledger/Statement": lambda b, c: paged(
        c, filtered(b.supplier_ledger, c.query, SUPPLIER_LEDGER_FILTERS)
    ),
}
for _name, _id in REGISTER_PATHS.items():
    HANDLERS.update(_register_handlers(_name, _id))

from .sales_orders import SALES_ORDER_HANDLERS  # noqa: E402 (uses the helpers above)

HANDLERS.update(SALES_ORDER_HANDLERS)
