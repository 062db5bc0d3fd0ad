"""Manual re-transfer: send chosen customers or projects (or a client's untransferred invoices)
to the accounting system again, whatever their state.

It lives in `integrations`, not in `accounting.services`, because it changes no domain data: it
only writes outbox rows (and forgets the "unchanged" hash of the records' links so they really
are sent again). The admin tool (Setup > Tools), `manage.py retransfer` and the demo call it;
every connector's exporters then do the work, so it serves Azets the same way as PowerOffice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from .models import ExternalLink, Operation, TransferKind
from .outbox import transfer_enqueue

#: What a user may re-transfer by number: choice value -> (transfer kind, label).
RETRANSFER_KINDS = {
    "customers": (TransferKind.CUSTOMER, _("Customers")),
    "projects": (TransferKind.PROJECT, _("Projects")),
}


@dataclass
class RetransferReport:
    queued: list[str] = field(default_factory=list)  # numbers queued for at least one connection
    unknown: list[str] = field(default_factory=list)  # numbers no record of the client has
    not_handled: list[str] = field(default_factory=list)  # found, but no connection takes them
    transfers: int = 0


def numbers_parse(text: str) -> list[str]:
    """ "10023, 10024,,10023 " -> ["10023", "10024"] (order kept, duplicates dropped)."""
    seen: dict[str, None] = {}
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def _records_by_number(*, client, kind: str, numbers: list[str]) -> dict[str, Model]:
    from accounting.models import Customer, Project

    if kind == "customers":
        wanted = [int(n) for n in numbers if n.isdigit()]
        rows = Customer.objects.filter(client=client, number__in=wanted)
        return {str(c.number): c for c in rows}
    if kind == "projects":
        return {p.number: p for p in Project.objects.filter(client=client, number__in=numbers)}
    raise ValueError(f"Unknown re-transfer kind {kind!r}; use {', '.join(RETRANSFER_KINDS)}.")


def _forget_hashes(records: list[Model]) -> None:
    """A re-transfer must send even what looks unchanged (someone may have edited it remotely)."""
    by_type: dict[int, list[int]] = {}
    for record in records:
        by_type.setdefault(ContentType.objects.get_for_model(record).pk, []).append(record.pk)
    for content_type_id, ids in by_type.items():
        ExternalLink.objects.filter(content_type_id=content_type_id, object_id__in=ids).update(
            content_hash=""
        )


@transaction.atomic
def records_retransfer(*, client, kind: str, numbers: str, by=None) -> RetransferReport:
    """Queue an UPSERT of every customer or project of `client` with one of the comma-separated
    `numbers`, regardless of its state. Unknown numbers are reported, never silently skipped."""
    transfer_kind = RETRANSFER_KINDS[kind][0] if kind in RETRANSFER_KINDS else None
    if transfer_kind is None:
        raise ValueError(f"Unknown re-transfer kind {kind!r}.")
    wanted = numbers_parse(numbers)
    found = _records_by_number(client=client, kind=kind, numbers=wanted)
    report = RetransferReport(unknown=[n for n in wanted if n not in found])
    _forget_hashes(list(found.values()))
    for number in (n for n in wanted if n in found):
        transfers = transfer_enqueue(
            obj=found[number], kind=transfer_kind, operation=Operation.UPSERT,
            params={"retransfer_by": str(by) if by else "system"},
        )  # fmt: skip
        (report.queued if transfers else report.not_handled).append(number)
        report.transfers += len(transfers)
    return report


@transaction.atomic
def invoices_enqueue_pending(*, client) -> int:
    """Queue every finalized invoice and credit note of `client` that no transfer delivered yet
    (e.g. after a connection was added). Already posted ones are skipped by the exporters."""
    from accounting.selectors import invoices_pending_transfer

    count = 0
    for invoice in invoices_pending_transfer(client=client):
        kind = TransferKind.CREDIT_NOTE if invoice.is_credit_note else TransferKind.INVOICE
        count += len(transfer_enqueue(obj=invoice, kind=kind, operation=Operation.CREATE))
    return count
