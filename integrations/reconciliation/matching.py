"""Documents matched by reference and number into the reconciliation classes (pure, no I/O).

`classify_documents(ours, theirs)` takes our finalized documents and what the accounting system
holds, both already reduced to the small dataclasses below by the connector's reader, and
returns one `Match` per document of ours plus one per unknown document of theirs.

Rules:
- A document of ours is found by its transfer reference; when no document there carries that
  reference, by its number among theirs of the same family (invoice or order) that carry no
  reference of ours (route B vouchers and older sends keep only the number).
- Two or more distinct documents there for one of ours: doubled.
- One document there, not bound here (no link on this connection): posted there but failed here.
- One document there, bound: matched when amount incl. VAT, customer, date, currency and KID
  agree, different otherwise.
- A document there that carries a reference or number of this integration but matches none of
  ours: unknown here.

Signs: PowerOffice Go's public documentation does not say which sign an invoice or a credit note
has in the customer ledger. Amounts are therefore compared by absolute value, and the document
type (invoice or credit note, where the system states one) is compared on its own, so either
sign convention reconciles.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .models import Finding

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
CENT = Decimal("0.01")


@dataclass
class OurDocument:
    obj: Any
    what: str  # invoice, credit_note, pos_sale, sales_order
    number: str
    reference: str
    amount: Decimal | None = None  # total incl. VAT, in the document's currency
    currency: str = ""
    customer: str = ""  # the customer number as the accounting system knows it
    date: dt.date | None = None
    kid: str = ""
    external_id: str = ""  # bound id on this connection ("" = not bound)
    transfer: Any = None  # our latest transfer of it to this connection

    @property
    def family(self) -> str:
        return "invoice" if self.what in (INVOICE, CREDIT_NOTE) else "order"


@dataclass
class TheirDocument:
    external_id: str
    family: str  # "invoice" or "order"
    reference: str = ""
    number: str = ""
    amount: Decimal | None = None
    currency: str = ""
    customer: str = ""
    date: dt.date | None = None
    kid: str = ""
    credit_note: bool | None = None  # None: the system does not say
    from_us: bool = False  # created by this integration (reference prefix or the system's flag)
    voucher_no: str = ""


@dataclass
class Match:
    finding: str
    ours: OurDocument | None = None
    theirs: list[TheirDocument] = field(default_factory=list)
    differences: list[list[str]] = field(default_factory=list)


def document_differences(
    ours: OurDocument, theirs: TheirDocument, *, compare_kid: bool = True
) -> list[list[str]]:
    """[field, ours, theirs] for every compared field that differs."""
    found: list[list[str]] = []

    def differ(name: str, mine: Any, other: Any) -> None:
        found.append([name, "" if mine is None else str(mine), "" if other is None else str(other)])

    if ours.amount is not None and theirs.amount is not None:
        mine, other = (abs(Decimal(a)).quantize(CENT) for a in (ours.amount, theirs.amount))
        if mine != other:
            differ("amount_incl_vat", mine, other)
    if theirs.credit_note is not None and ours.family == "invoice":
        if theirs.credit_note != (ours.what == CREDIT_NOTE):
            differ("document_type", ours.what, CREDIT_NOTE if theirs.credit_note else INVOICE)
    if theirs.customer and ours.customer and str(theirs.customer) != str(ours.customer):
        differ("customer", ours.customer, theirs.customer)
    if theirs.date and ours.date and theirs.date != ours.date:
        differ("date", ours.date.isoformat(), theirs.date.isoformat())
    if theirs.currency and ours.currency and theirs.currency.upper() != ours.currency.upper():
        differ("currency", ours.currency, theirs.currency)
    if compare_kid and ours.kid and (theirs.kid or "") != ours.kid:
        differ("kid", ours.kid, theirs.kid)
    return found


def _index(theirs: list[TheirDocument]):
    by_reference: dict[str, list[TheirDocument]] = defaultdict(list)
    by_number: dict[tuple[str, str], list[TheirDocument]] = defaultdict(list)
    for doc in theirs:
        if doc.reference:
            by_reference[doc.reference].append(doc)
        if doc.number:
            by_number[(doc.family, str(doc.number))].append(doc)
    return by_reference, by_number


def _distinct(docs: list[TheirDocument]) -> list[TheirDocument]:
    return list({doc.external_id: doc for doc in docs}.values())


def classify_documents(
    ours: list[OurDocument], theirs: list[TheirDocument], *, compare_kid: bool = True
) -> list[Match]:
    """One Match per document of ours, and one per unknown document of theirs from us."""
    by_reference, by_number = _index(theirs)
    references = {doc.reference for doc in ours if doc.reference}
    used: set[str] = set()
    matches = []
    for doc in ours:
        found = by_reference.get(doc.reference, []) if doc.reference else []
        if not found:
            found = [t for t in by_number.get((doc.family, str(doc.number)), [])
                     if not t.reference or t.reference not in references]  # fmt: skip
        found = _distinct(found)
        used.update(t.external_id for t in found)
        matches.append(_classify_one(doc, found, compare_kid))
    for doc in theirs:
        if doc.external_id not in used and doc.from_us:
            used.add(doc.external_id)
            matches.append(Match(Finding.UNKNOWN_HERE, None, [doc]))
    return matches


def _classify_one(doc: OurDocument, found: list[TheirDocument], compare_kid: bool) -> Match:
    if not found:
        return Match(Finding.MISSING_THERE, doc)
    if len(found) > 1:
        return Match(Finding.DOUBLED, doc, found)
    theirs = found[0]
    differences = document_differences(doc, theirs, compare_kid=compare_kid)
    if not doc.external_id:
        return Match(Finding.BOUND_HERE, doc, found, differences)
    if doc.external_id != theirs.external_id:
        differences.append(["external_id", doc.external_id, theirs.external_id])
    if differences:
        return Match(Finding.DIFFERENT, doc, found, differences)
    return Match(Finding.MATCHED, doc, found)
