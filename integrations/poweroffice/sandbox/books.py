"""The books of one emulated PowerOffice Go client (one client key): seeded settings, registers,
vouchers with their account transactions and customer-ledger entries, and voucher documents.

Voucher rules emulated: no posting on or before the lock date; referenced accounts, VAT codes
and customers must exist; manual journals must balance; PDFs only, replaced by a later upload.

What PowerOffice Go's public documentation leaves open is a switch (`duplicates`, set from the
sandbox config for every request): whether a repeated ExternalImportReference (and InvoiceNo) is
refused with a field error naming it (`refuse_field`), refused with other words and no field
errors (`refuse_plain`), or accepted, storing a second voucher (`accept`). Every stored voucher
and sales order stays in `vouchers` / `sales_orders`, so doubles can be counted from what the
server stored, including writes whose answer was dropped.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import uuid
import zipfile
from collections import Counter
from typing import Any

from integrations.sandbox.problems import Problem

from .registers import Register, Row, new_registers
from .seeds import ACCOUNTS, NUMBER_SERIES, PRIVILEGES, VAT_CODES

DUPLICATE_BEHAVIOURS = ("refuse_field", "refuse_plain", "accept")


def _refused(detail: str, field: str | None = None) -> Problem:
    return Problem(400, "Validation failed", detail, errors={field: [detail]} if field else None)


def _duplicate(behaviour: str, value: str, field: str, used_by: str) -> None:
    """A repeated unique value, answered as the `duplicates` switch says (see the docstring)."""
    if behaviour == "accept":
        return
    if behaviour == "refuse_plain":
        raise Problem(400, "Bad Request", f"Duplicate value '{value}': it is used by {used_by}.")
    raise _refused(f"A record with {field} '{value}' already exists.", field)


class Books:
    def __init__(self, client_key: str, name: str, privileges: list[str] | None = None) -> None:
        self.client_id = str(uuid.uuid5(uuid.NAMESPACE_OID, client_key))
        self.name = name
        self.valid_privileges = list(PRIVILEGES if privileges is None else privileges)
        self.invalid_privileges = sorted(set(PRIVILEGES) - set(self.valid_privileges))
        self.lock_date = dt.date(2024, 12, 31)
        self.duplicates = "refuse_field"  # one of DUPLICATE_BEHAVIOURS, set by the app
        self.vat_codes = [dict(v) for v in VAT_CODES]
        self.number_series = [dict(s) for s in NUMBER_SERIES]
        self._ids = itertools.count(1001)
        self._voucher_numbers = itertools.count(40001)
        self._order_numbers = itertools.count(1)
        self._match_ids = itertools.count(1)
        self.registers = new_registers(self._ids, lambda: self.number_series)
        for account in ACCOUNTS:
            self.registers["GeneralLedgerAccounts"].create(account)
        self.vouchers: dict[str, Row] = {}
        self.sales_orders: dict[str, Row] = {}
        self.transactions: list[Row] = []
        self.ledger: list[Row] = []
        self.documents: dict[str, tuple[str, bytes]] = {}
        # Seeded incoming vouchers (see seeding.py): supplier-ledger entries and their files.
        self.supplier_ledger: list[Row] = []
        self.attachments: dict[str, list[tuple[str, bytes]]] = {}

    def register(self, name: str) -> Register:
        return self.registers[name]

    def client_integration_information(self) -> Row:
        return {
            "ClientId": self.client_id,
            "ClientName": self.name,
            "ActiveClientSubscriptions": ["Accounting", "Invoicing"],
            "ValidPrivileges": self.valid_privileges,
            "InvalidPrivileges": self.invalid_privileges,
        }

    def create_contact(self, register: str, payload: Row) -> Row:
        """Customers, suppliers and employees get a sub-ledger account id too."""
        return self.register(register).create(payload, SubledgerAccountId=next(self._ids))

    # -- lookups -------------------------------------------------------------------------------
    def _project_code(self, project_id: Any) -> str | None:
        row = self.register("Projects").rows.get(project_id) if project_id is not None else None
        return row.get("Code") if row else None

    def _account(self, account_id: Any, where: str) -> Row:
        for register in ("GeneralLedgerAccounts", "Customers", "Suppliers", "Employees"):
            for row in self.register(register).rows.values():
                key = "Id" if register == "GeneralLedgerAccounts" else "SubledgerAccountId"
                if row.get(key) == account_id:
                    return {**row, "_register": register}
        raise Problem(404, "Object(s) not found", f"{where}: account id {account_id} not found.")

    def _check_vat(self, vat_id: Any, where: str) -> None:
        if vat_id is not None and not any(v["Id"] == vat_id for v in self.vat_codes):
            raise Problem(404, "Object(s) not found", f"{where}: VatId {vat_id} not found.")

    def _check_voucher_header(self, payload: Row) -> None:
        for field in ("ExternalImportReference", "InvoiceNo"):
            value = payload.get(field)
            used = [v for v in self.vouchers.values() if value and v.get(field) == value]
            if used:
                _duplicate(self.duplicates, str(value), field, f"voucher {used[0]['VoucherNo']}")
        if dt.date.fromisoformat(payload["VoucherDate"]) <= self.lock_date:
            raise _refused(
                f"VoucherDate {payload['VoucherDate']} is on or before the lock date "
                f"{self.lock_date.isoformat()}.",
                "VoucherDate",
            )

    def _store_voucher(self, payload: Row, kind: str) -> Row:
        voucher = {**payload, "Id": str(uuid.uuid4()), "VoucherNo": next(self._voucher_numbers)}
        voucher["CreatedDateTimeOffset"] = dt.datetime.now(dt.UTC).isoformat()
        voucher["_kind"] = kind
        self.vouchers[voucher["Id"]] = voucher
        return voucher

    def _transaction(self, voucher: Row, account: Row, amount: float, line: Row) -> Row:
        row = {
            "Id": next(self._ids),
            "AccountId": account.get("Id"),
            "AccountNo": account.get("AccountNo") or account.get("Number"),
            "Amount": amount,
            "CurrencyAmount": amount,
            "CurrencyCode": voucher.get("CurrencyCode") or "NOK",
            "Description": line.get("Description") or voucher.get("Description"),
            "ExternalImportReference": voucher.get("ExternalImportReference"),
            "PostingDate": line.get("PostingDate") or voucher["VoucherDate"],
            "VoucherDate": voucher["VoucherDate"],
            "VoucherId": voucher["Id"],
            "VoucherNo": voucher["VoucherNo"],
            "VoucherType": voucher["_kind"],
            "VatId": line.get("VatId"),
            "VatAmount": 0.0,
            "ProjectId": line.get("ProjectId"),
            "ProjectCode": self._project_code(line.get("ProjectId")),
            "IsReversed": False,
            "CreatedDateTimeOffset": voucher["CreatedDateTimeOffset"],
            "LastChangedDateTimeOffset": voucher["CreatedDateTimeOffset"],
        }
        self.transactions.append(row)
        return row

    def _ledger_entry(self, voucher: Row, customer: Row, amount: float, line: Row) -> None:
        self.ledger.append(
            {
                "Id": next(self._ids),
                "Amount": amount,
                "Balance": amount,
                "CurrencyAmount": amount,
                "CurrencyCode": voucher.get("CurrencyCode") or "NOK",
                "Cid": voucher.get("Cid"),
                "CustomMatchingReference": line.get("CustomMatchingReference")
                or voucher.get("CustomMatchingReference"),
                "CustomerAccountNo": customer.get("Number"),
                "CustomerId": customer.get("Id"),
                "CustomerName": customer.get("Name"),
                "DueDate": voucher.get("DueDate"),
                "ExternalImportReference": voucher.get("ExternalImportReference"),
                "InvoiceNo": voucher.get("InvoiceNo"),
                "IsCreatedByCurrentIntegration": True,
                "MatchId": None,
                "PostingDate": line.get("PostingDate") or voucher["VoucherDate"],
                "VoucherDate": voucher["VoucherDate"],
                "VoucherId": voucher["Id"],
                "VoucherNo": voucher["VoucherNo"],
                "VoucherType": "OutgoingInvoice" if amount >= 0 else "OutgoingCreditNote",
                "CreatedDateTimeOffset": voucher["CreatedDateTimeOffset"],
                "LastChangedDateTimeOffset": voucher["CreatedDateTimeOffset"],
            }
        )

    # -- vouchers ------------------------------------------------------------------------------
    def post_outgoing_invoice(self, payload: Row) -> Row:
        self._check_voucher_header(payload)
        customer = self._account(payload.get("CustomerAccountId"), "CustomerAccountId")
        if customer["_register"] != "Customers":
            raise _refused(
                "CustomerAccountId is not a customer's sub-ledger account.", "CustomerAccountId"
            )
        lines = payload.get("OutgoingInvoiceLines") or []
        resolved = []
        for index, line in enumerate(lines):
            where = f"OutgoingInvoiceLines[{index}]"
            resolved.append(self._account(line.get("AccountId"), f"{where}.AccountId"))
            self._check_vat(line.get("VatId"), f"{where}.VatId")
        voucher = self._store_voucher(payload, "OutgoingInvoice")
        total = float(payload.get("CurrencyAmount") or 0)
        self._transaction(voucher, customer, total, {})
        for account, line in zip(resolved, lines, strict=True):
            self._transaction(voucher, account, -float(line.get("CurrencyAmount") or 0), line)
        self._ledger_entry(voucher, customer, total, {})
        return voucher

    def post_manual_journal(self, payload: Row) -> Row:
        self._check_voucher_header(payload)
        lines = payload.get("VoucherLines") or []
        accounts = []
        for index, line in enumerate(lines):
            where = f"VoucherLines[{index}]"
            accounts.append(self._account(line.get("AccountId"), f"{where}.AccountId"))
            self._check_vat(line.get("VatId"), f"{where}.VatId")
        balance = round(sum(float(line.get("CurrencyAmount") or 0) for line in lines), 2)
        if balance != 0:
            raise _refused(f"The voucher does not balance (difference {balance}).", "VoucherLines")
        voucher = self._store_voucher(payload, "ManualJournal")
        for account, line in zip(accounts, lines, strict=True):
            amount = float(line.get("CurrencyAmount") or 0)
            self._transaction(voucher, account, amount, line)
            if account["_register"] == "Customers":
                self._ledger_entry(voucher, account, amount, line)
        return voucher

    def voucher(self, voucher_id: str, kind: str) -> Row:
        voucher = self.vouchers.get(str(voucher_id))
        if voucher is None or voucher["_kind"] != kind:
            raise Problem(404, "Object(s) not found", f"Voucher {voucher_id} was not found.")
        return voucher

    def attach_pdf(self, voucher_id: str, filename: str, content: bytes) -> None:
        if str(voucher_id) not in self.vouchers:
            raise Problem(404, "Object(s) not found", f"Voucher {voucher_id} was not found.")
        if not content.startswith(b"%PDF"):
            raise _refused("Only PDF documents can be uploaded.", "file")
        if len(content) > 30 * 1024 * 1024:
            raise _refused("The document is larger than 30 MB.", "file")
        self.documents[str(voucher_id)] = (filename, content)

    def _files(self, voucher_id: str) -> list[tuple[str, bytes]]:
        uploaded = [self.documents[voucher_id]] if voucher_id in self.documents else []
        return uploaded + self.attachments.get(voucher_id, [])

    def documentation(self, voucher_id: str) -> list[Row]:
        voucher = self.vouchers.get(str(voucher_id))
        if voucher is None:
            return []
        names = [name.lower() for name, _ in self._files(str(voucher_id))]
        return [
            {
                "VoucherId": voucher["Id"],
                "VoucherNo": voucher["VoucherNo"],
                "HasPdf": any(name.endswith(".pdf") for name in names),
                "HasImages": any(not name.endswith(".pdf") for name in names),
                "HasEhf": False,
                "HasSalesOrderAttachments": False,
                "IsImported": True,
            }
        ]

    def documentation_zip(self, voucher_id: str) -> bytes:
        files = self._files(str(voucher_id))
        if not files:
            return b""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for filename, content in files:
                archive.writestr(filename, content)
        return buffer.getvalue()

    def create_sales_order(self, payload: Row) -> Row:
        reference = payload.get("ExternalImportReference")
        used = [o for o in self.sales_orders.values()
                if reference and o.get("ExternalImportReference") == reference]  # fmt: skip
        if used:
            _duplicate(self.duplicates, reference, "ExternalImportReference",
                       f"sales order {used[0]['SalesOrderNo']}")  # fmt: skip
        order = {**payload, "Id": str(uuid.uuid4()), "SalesOrderNo": next(self._order_numbers)}
        order.setdefault("SalesOrderStatus", "Draft")
        order["LineCount"] = len(payload.get("SalesOrderLines") or [])
        self.sales_orders[order["Id"]] = order
        return order

    def ledger_dump(self) -> Row:
        """What was posted, for comparison with Ledgerbridge's database (control API only)."""
        voucher_fields = ("Id", "InvoiceNo", "ExternalImportReference", "VoucherNo")
        stored = Counter(
            [v.get("ExternalImportReference") for v in self.vouchers.values()]
            + [o.get("ExternalImportReference") for o in self.sales_orders.values()]
        )
        return {
            # References stored more than once: a document that arrived twice.
            "doubled": sorted(r for r, count in stored.items() if r and count > 1),
            "vouchers": [
                {k: v.get(k) for k in voucher_fields} for v in self.vouchers.values()
            ],
            "sales_orders": [
                {"Id": o.get("Id"), "ExternalImportReference": o.get("ExternalImportReference")}
                for o in self.sales_orders.values()
            ],
            "registers": {
                name: [{"Id": r.get("Id"), "Number": r.get("Number") or r.get("Code"),
                        "Name": r.get("Name")} for r in register.rows.values()]
                for name, register in self.registers.items()
                if name in ("Customers", "Projects", "Products")
            },
        }  # fmt: skip

    def summary(self) -> Row:
        return {
            "client_name": self.name,
            "registers": {name: len(r.rows) for name, r in self.registers.items()},
            "vouchers": len(self.vouchers),
            "sales_orders": len(self.sales_orders),
            "documents": len(self.documents),
            "lock_date": self.lock_date.isoformat(),
        }
