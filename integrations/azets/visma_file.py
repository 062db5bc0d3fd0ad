"""The same vouchers as a Visma Business batch import file, for Azets offices that import files.

Pure: takes customers and the voucher payloads mapping.voucher_payload() builds for the API, so
the file and the API can never disagree on grouping, amounts or dimensions. Layout follows the
public description of a Visma Business import (shared/azets/NOTES.md §2, source S9):

    @Firm (FirmNo)                       the company (source client id)
    @Actor (CustNo,Nm,…)                 one row per customer
    @WaBnd (VoTp,Descr,ValDt)            the batch
    @WaVo (VoNo,VoDt,…,R<n>,…)           one row per voucher line (account group): debit the
                                         customer, credit the revenue account with its VAT code,
                                         org-unit values in their R columns

Fields are separated by ";", text is quoted ("" for a quote), dates are yyyymmdd, amounts have
two decimals with a point. Column semantics beyond S9 are ASSUMED (CONTRACT.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ACTOR_COLUMNS = ["CustNo", "Nm", "Ad1", "Ad2", "PNo", "PArea", "Ctry", "BsNo", "MailAd"]
VOUCHER_COLUMNS_HEAD = [
    "VoNo", "VoDt", "VoTp", "Txt", "DbAcNo", "Am", "InvoNo", "AgRef", "Cust", "DueDt", "CID",
    "ValDt", "Cur", "ExRt", "CurAm", "CrAcNo", "CrTrnCl",
]
VOUCHER_COLUMNS_TAIL = ["CrTxCd", "DbTrnCl", "DbTxCd"]
CUSTOMER_TRANSACTION_CLASS = 1  # voucher account types: 1 customer, 3 general ledger
LEDGER_TRANSACTION_CLASS = 3
INVOICE_VOUCHER_TYPE = 1


@dataclass(frozen=True)
class ActorRow:
    number: str
    name: str
    address_line1: str = ""
    address_line2: str = ""
    postcode: str = ""
    city: str = ""
    country_code: str = "NO"
    organization_number: str = ""
    email: str = ""


def text(value: Any) -> str:
    return '"' + str(value or "").replace('"', '""').replace("\n", " ") + '"'


def ymd(iso_date: str) -> str:
    return iso_date.replace("-", "")


def row(values: Iterable[Any]) -> str:
    return ";".join("" if value is None else str(value) for value in values)


def org_unit_columns(vouchers: list[dict[str, Any]]) -> list[int]:
    """The R columns any voucher uses, in order (R1 … R12)."""
    used = {
        dim["orgUnit"]
        for voucher in vouchers
        for dim in voucher["dimensions"].values()
        if dim
    }
    return sorted(used)


def voucher_rows(voucher: dict[str, Any], r_columns: list[int]) -> list[str]:
    values = {dim["orgUnit"]: dim["value"] for dim in voucher["dimensions"].values() if dim}
    rows = []
    for line in voucher["lines"]:
        amount = Decimal(line["netAmount"]) + Decimal(line["vatAmount"])
        head = [
            voucher["invoiceNo"], ymd(voucher["invoiceDate"]), INVOICE_VOUCHER_TYPE,
            text(line.get("description") or voucher.get("description")), voucher["customerNo"],
            f"{amount:.2f}", voucher["invoiceNo"], text(voucher.get("yourReference")),
            voucher["customerNo"], ymd(voucher["dueDate"]), voucher.get("paymentId") or "",
            ymd(voucher["invoiceDate"]), voucher["currency"], "", f"{amount:.2f}",
            line["accountNo"], LEDGER_TRANSACTION_CLASS,
        ]
        org_units = [text(values[no]) if no > 6 and no in values else values.get(no, "")
                     for no in r_columns]
        tail = [line["vatCode"], CUSTOMER_TRANSACTION_CLASS, ""]
        rows.append(row([*head, *org_units, *tail]))
    return rows


def visma_batch_file(
    *, firm_no: str, actors: Iterable[ActorRow], vouchers: list[dict[str, Any]], description: str,
    value_date: str,
) -> str:
    """The whole import file as text (lines end with CRLF, as Windows tools expect)."""
    r_columns = org_unit_columns(vouchers)
    lines = ["@Firm (FirmNo)", firm_no, f"@Actor ({','.join(ACTOR_COLUMNS)})"]
    for actor in actors:
        lines.append(row([
            actor.number, text(actor.name), text(actor.address_line1), text(actor.address_line2),
            text(actor.postcode), text(actor.city), text(actor.country_code),
            text(actor.organization_number), text(actor.email),
        ]))
    lines += ["@WaBnd (VoTp,Descr,ValDt)", row([INVOICE_VOUCHER_TYPE, text(description),
                                                ymd(value_date)])]
    columns = [*VOUCHER_COLUMNS_HEAD, *(f"R{no}" for no in r_columns), *VOUCHER_COLUMNS_TAIL]
    lines.append(f"@WaVo ({','.join(columns)})")
    for voucher in vouchers:
        lines += voucher_rows(voucher, r_columns)
    return "\r\n".join(lines) + "\r\n"
