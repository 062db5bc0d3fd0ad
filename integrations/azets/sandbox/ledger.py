"""The books of one client in the Azets sandbox: registers, posted vouchers and the expense
feed, with the voucher rules of the proposed contract (NOTES §5)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from integrations.sandbox.problems import Problem

from .seeds import seed_expenses


def _rejected(status: int, title: str, field: str, message: str) -> Problem:
    return Problem(status, title, message, errors=[{"field": field, "message": message}])


def _same_org_unit(field: str, no: int) -> Problem:
    return _rejected(400, "Organisational unit used twice", field,
                     f"Projects and departments cannot share organisational unit {no}.")


class Ledger:
    def __init__(self, name: str, ledger: str, org_units: list[dict[str, Any]]) -> None:
        self.name, self.kind, self.org_units = name, ledger, org_units
        self.customers: dict[str, dict] = {}
        self.projects: dict[str, dict] = {}
        self.vouchers: dict[str, dict] = {}
        self.postings = 0  # vouchers actually posted (a replay posts nothing)
        self.expenses: list[dict] = seed_expenses()

    def scope(self) -> dict[str, Any]:
        return {"name": self.name, "ledger": self.kind, "orgUnits": self.org_units}

    def summary(self) -> dict[str, Any]:
        return {
            "customers": sorted(self.customers), "projects": sorted(self.projects),
            "vouchers": sorted(self.vouchers), "postings": self.postings,
        }

    # -- registers -----------------------------------------------------------------------------
    def put_customer(self, number: str, body: dict) -> tuple[str, bool]:
        created = number not in self.customers
        self.customers[number] = body
        return number, created

    def put_project(self, number: str, body: dict) -> tuple[str, bool]:
        customer = body.get("customerNo")
        if customer and customer not in self.customers:
            raise _rejected(422, "Unknown customer", "customerNo",
                            f"Customer {customer} does not exist; send it first.")
        department = body.get("department") or {}
        if body.get("orgUnit") and body["orgUnit"] == department.get("orgUnit"):
            raise _same_org_unit("department.orgUnit", body["orgUnit"])
        created = number not in self.projects
        self.projects[number] = body
        return number, created

    # -- vouchers ------------------------------------------------------------------------------
    def put_voucher(self, number: str, body: dict) -> tuple[str, bool, bool]:
        posted = self.vouchers.get(number)
        if posted is not None:
            if _canonical(posted) == _canonical(body):
                return number, False, True
            raise _rejected(409, "Voucher exists", "voucherNo",
                            f"Voucher {number} was posted with different content.")
        self.check_voucher(number, body)
        self.vouchers[number] = body
        self.postings += 1
        return number, True, False

    def check_voucher(self, number: str, body: dict) -> None:
        if body["invoiceNo"] != number:
            raise _rejected(400, "Voucher number", "invoiceNo",
                            f"invoiceNo {body['invoiceNo']} differs from voucher {number}.")
        if body["dueDate"] < body["invoiceDate"]:
            raise _rejected(400, "Due date", "dueDate", "dueDate is before invoiceDate.")
        self._check_lines(body)
        self._check_dimensions(body)
        self._check_references(body)
        self._check_credit_note(body)

    def _check_lines(self, body: dict) -> None:
        accounts = [line["accountNo"] for line in body["lines"]]
        duplicates = sorted({a for a in accounts if accounts.count(a) > 1})
        if duplicates:
            raise _rejected(400, "Lines not grouped", "lines",
                            f"Account(s) {', '.join(duplicates)} appear more than once.")
        total = sum(Decimal(x["netAmount"]) + Decimal(x["vatAmount"]) for x in body["lines"])
        if total != Decimal(body["totalInclVat"]):
            raise _rejected(400, "Total", "totalInclVat",
                            f"Lines add up to {total}, not {body['totalInclVat']}.")

    @staticmethod
    def _check_dimensions(body: dict) -> None:
        """A voucher row has one value per organisational unit (R column), and the two accrual
        accounts are a pair of different interim accounts (NOTES §5)."""
        dimensions = body.get("dimensions") or {}
        project, department = dimensions.get("project"), dimensions.get("department")
        if project and department and project["orgUnit"] == department["orgUnit"]:
            raise _same_org_unit("dimensions.department.orgUnit", project["orgUnit"])
        accrual = body.get("accrual")
        if accrual and accrual["debitAccountNo"] == accrual["creditAccountNo"]:
            raise _rejected(400, "Accrual accounts", "accrual.creditAccountNo",
                            "The debit and credit accrual accounts must differ.")

    def _check_references(self, body: dict) -> None:
        if body["customerNo"] not in self.customers:
            raise _rejected(422, "Unknown customer", "customerNo",
                            f"Customer {body['customerNo']} does not exist; send it first.")
        project = body.get("projectNo")
        if project and project not in self.projects:
            raise _rejected(422, "Unknown project", "projectNo",
                            f"Project {project} does not exist; send it first.")

    def _check_credit_note(self, body: dict) -> None:
        credited = body.get("creditNoteFor")
        if credited is None:
            return
        if credited not in self.vouchers or self.vouchers[credited].get("creditNoteFor"):
            raise _rejected(422, "Unknown voucher", "creditNoteFor",
                            f"Voucher {credited} is not a posted invoice.")
        if Decimal(body["totalInclVat"]) >= 0:
            raise _rejected(400, "Credit note", "totalInclVat",
                            "A credit note carries negative amounts.")

    # -- expenses ------------------------------------------------------------------------------
    def expense_page(self, *, since: str, projects: list[str], cursor: str | None,
                     page_size: int) -> dict[str, Any]:
        matching = [e for e in self.expenses if e["voucherDate"] >= since
                    and (not projects or e.get("projectNo") in projects)]
        if cursor and not cursor.isdigit():
            raise _rejected(400, "Bad cursor", "cursor", f"Cursor {cursor!r} is not one of ours.")
        start = int(cursor or 0)
        end = start + page_size
        return {"items": matching[start:end],
                "nextCursor": str(end) if end < len(matching) else None}


def _canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
