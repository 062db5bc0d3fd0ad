"""What happens in PowerOffice Go without Ledgerbridge, seeded through the control API so the
imports have something to read:

    POST /_sandbox/seed/supplier_invoice
        {"supplier": "Rørlegger AS", "voucher_date": "2026-03-02", "posting_date": "...",
         "currency_code": "NOK", "voucher_type": "IncomingInvoice",
         "lines": [{"account_no": 4300, "project_code": "P1001", "amount": 1000.0,
                    "vat_amount": 250.0, "description": "Pipes"}],
         "attachments": [{"name": "invoice.pdf", "content_base64": "..."}],
         "created_at": "2026-03-02T08:00:00+00:00", "client_key": "..."}
      → a posted incoming invoice: one cost transaction per line (project code, VAT), the
        supplier's row on 2400 and its supplier-ledger entry (SupplierName), and the attachments
        (served as one zip by GET /VoucherDocumentation/Download). Employee expenses:
        voucher_type "Expense" and no supplier.
    POST /_sandbox/seed/customer_payment
        {"invoice_no": "10023", "amount": 400.0, "date": "2026-03-20", "cid": "...",
         "client_key": "..."}
      → a bank voucher paying (part of) an outgoing invoice: a customer-ledger entry matched to
        the invoice's entry (shared MatchId), the invoice's Balance reduced and its
        LastChangedDateTimeOffset moved, as PowerOffice does on matching.
    POST /_sandbox/seed/register_rows
        {"register": "Products", "rows": [{"Code": "P1", "Name": "Coffee"}], "client_key": "..."}
      → rows that already exist in a register (customers, suppliers and employees get their
        sub-ledger account id), for a bench or demo whose sandbox runs in another process.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from integrations.sandbox.problems import Problem

from .books import Books
from .registers import Row

SAMPLE_PDF = b"%PDF-1.4\n% sandbox supplier invoice\n%%EOF\n"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _bad(detail: str) -> Problem:
    return Problem(400, "Bad sandbox seed", detail)


def _supplier(books: Books, name: str) -> Row:
    register = books.register("Suppliers")
    for row in register.rows.values():
        if row.get("Name") == name:
            return row
    return books.create_contact("Suppliers", {"Name": name})


def _gl_account(books: Books, number: int) -> Row:
    for row in books.register("GeneralLedgerAccounts").rows.values():
        if row.get("AccountNo") == number:
            return row
    return books.register("GeneralLedgerAccounts").create(
        {"AccountNo": number, "Name": f"Account {number}", "IsActive": True}
    )


def _attachments(data: dict[str, Any]) -> list[tuple[str, bytes]]:
    files = data.get("attachments")
    if files is None:
        return [("invoice.pdf", SAMPLE_PDF)]
    return [(f["name"], base64.b64decode(f.get("content_base64", ""))) for f in files]


def seed_supplier_invoice(books: Books, data: dict[str, Any]) -> Row:
    lines = data.get("lines") or []
    if not lines or "voucher_date" not in data:
        raise _bad("voucher_date and at least one line are required.")
    kind = data.get("voucher_type", "IncomingInvoice")
    header = {
        "VoucherDate": data["voucher_date"],
        "CurrencyCode": data.get("currency_code", "NOK"),
        "Description": data.get("description") or f"Invoice from {data.get('supplier')}",
    }
    voucher = books._store_voucher(header, kind)
    created = data.get("created_at") or voucher["CreatedDateTimeOffset"]
    posting = {"PostingDate": data.get("posting_date") or data["voucher_date"]}
    total = 0.0
    for line in lines:
        amount, vat = float(line["amount"]), float(line.get("vat_amount", 0))
        row = books._transaction(
            voucher, _gl_account(books, int(line["account_no"])), amount,
            {**posting, "Description": line.get("description")},
        )
        row.update(ProjectCode=line.get("project_code"), VatAmount=vat)
        total += amount + vat
    supplier = _supplier(books, data["supplier"]) if data.get("supplier") else None
    if supplier is not None:
        row = books._transaction(voucher, _gl_account(books, 2400), -total, posting)
        row.update(SupplierAccountNo=supplier.get("Number"))
        books.supplier_ledger.append(_supplier_entry(books, voucher, supplier, -total, posting))
    for row in books.transactions + books.supplier_ledger:
        if row["VoucherId"] == voucher["Id"]:
            row.update(CreatedDateTimeOffset=created, LastChangedDateTimeOffset=created)
    books.attachments[voucher["Id"]] = _attachments(data)
    return {"VoucherId": voucher["Id"], "VoucherNo": voucher["VoucherNo"]}


def _supplier_entry(books: Books, voucher: Row, supplier: Row, amount: float, posting) -> Row:
    return {
        "Id": next(books._ids),
        "Amount": amount,
        "Balance": amount,
        "CurrencyAmount": amount,
        "CurrencyCode": voucher.get("CurrencyCode") or "NOK",
        "SupplierAccountNo": supplier.get("Number"),
        "SupplierId": supplier.get("Id"),
        "SupplierName": supplier.get("Name"),
        "PostingDate": posting["PostingDate"],
        "VoucherDate": voucher["VoucherDate"],
        "VoucherId": voucher["Id"],
        "VoucherNo": voucher["VoucherNo"],
        "VoucherType": voucher["_kind"],
    }


def _invoice_entry(books: Books, data: dict[str, Any]) -> Row:
    wanted = str(data.get("invoice_no") or "")
    for entry in books.ledger:
        if entry.get("VoucherType") == "OutgoingInvoice" and (
            str(entry.get("InvoiceNo") or "") == wanted
            or entry.get("VoucherId") == data.get("voucher_id")
        ):
            return entry
    raise _bad(f"No outgoing invoice {wanted or data.get('voucher_id')} in the customer ledger.")


def seed_customer_payment(books: Books, data: dict[str, Any]) -> Row:
    invoice = _invoice_entry(books, data)
    amount = float(data["amount"])
    if amount <= 0 or amount > invoice["Balance"] + 0.001:
        raise _bad(f"Amount {amount} must be positive and at most the balance {invoice['Balance']}")
    day = data.get("date") or dt.date.today().isoformat()
    voucher = books._store_voucher({"VoucherDate": day, "Cid": data.get("cid")}, "BankJournal")
    if invoice.get("MatchId") is None:
        invoice["MatchId"] = next(books._match_ids)
    now = _now()
    entry = {
        **{k: invoice.get(k) for k in ("CustomerAccountNo", "CustomerId", "CustomerName")},
        "Id": next(books._ids),
        "Amount": -amount,
        "Balance": 0.0,
        "CurrencyAmount": -amount,
        "CurrencyCode": invoice.get("CurrencyCode") or "NOK",
        "Cid": data.get("cid") or invoice.get("Cid"),
        "InvoiceNo": invoice.get("InvoiceNo"),
        "MatchId": invoice["MatchId"],
        "PaidFromBankAccount": data.get("bank_account", "15030012345"),
        "PostingDate": day,
        "VoucherDate": day,
        "VoucherId": voucher["Id"],
        "VoucherNo": voucher["VoucherNo"],
        "VoucherType": "BankJournal",
        "IsCreatedByCurrentIntegration": False,
        "CreatedDateTimeOffset": now,
        "LastChangedDateTimeOffset": now,
    }
    books.ledger.append(entry)
    invoice["Balance"] = round(invoice["Balance"] - amount, 2)
    invoice["LastChangedDateTimeOffset"] = now
    balance = invoice["Balance"]
    return {"VoucherId": voucher["Id"], "MatchId": invoice["MatchId"], "Balance": balance}


CONTACT_REGISTERS = ("Customers", "Suppliers", "Employees")


def seed_register_rows(books: Books, data: dict[str, Any]) -> Row:
    name, rows = data.get("register"), data.get("rows")
    if not name or not isinstance(rows, list):
        raise _bad("register and a list of rows are required.")
    if name in CONTACT_REGISTERS:
        return {"rows": [books.create_contact(name, dict(row)) for row in rows]}
    register = books.register(name)
    return {"rows": [register.create(dict(row)) for row in rows]}


SEEDS = {
    "seed/register_rows": seed_register_rows,
    "seed/supplier_invoice": seed_supplier_invoice,
    "seed/customer_payment": seed_customer_payment,
}
