"""Manual re-transfer: send chosen customers, projects, invoices or credit notes (or a client's
untransferred invoices) to the accounting system again, whatever their state.

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

from .fairness import bulk_work
from .models import ExternalLink, Operation, TransferKind
from .outbox import transfer_enqueue

#: What a user may re-transfer by number: choice value -> (transfer kind, label). Invoices and
#: credit notes share one number series: each finalized one goes as what it is.
RETRANSFER_KINDS = {
    "customers": (TransferKind.CUSTOMER, _("Customers")),
    "projects": (TransferKind.PROJECT, _("Projects")),
    "invoices": (TransferKind.INVOICE, _("Invoices and credit notes")),
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
    if kind == "invoices":
        from accounting.selectors import invoices_finalized

        wanted = [int(n) for n in numbers if n.isdigit()]
        return {str(i.number): i for i in invoices_finalized(client=client, numbers=wanted)}
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
    """Queue every customer, project or finalized invoice / credit note of `client` with one of
    the comma-separated `numbers`, regardless of its state (a voucher already posted is found
    and skipped by the exporter, not posted twice). Unknown numbers are reported, never
    silently skipped; a disabled connection's invoice transfers wait until it is enabled."""
    transfer_kind = RETRANSFER_KINDS[kind][0] if kind in RETRANSFER_KINDS else None
    if transfer_kind is None:
        raise ValueError(f"Unknown re-transfer kind {kind!r}.")
    wanted = numbers_parse(numbers)
    found = _records_by_number(client=client, kind=kind, numbers=wanted)
    report = RetransferReport(unknown=[n for n in wanted if n not in found])
    _forget_hashes(list(found.values()))
    for number in (n for n in wanted if n in found):
        record = found[number]
        transfers = transfer_enqueue(
            obj=record, kind=_transfer_kind_of(record, transfer_kind),
            operation=Operation.CREATE if kind == "invoices" else Operation.UPSERT,
            params={"retransfer_by": str(by) if by else "system"},
        )  # fmt: skip
        (report.queued if transfers else report.not_handled).append(number)
        report.transfers += len(transfers)
    return report


def _transfer_kind_of(record: Model, kind: str) -> str:
    if kind == TransferKind.INVOICE and record.is_credit_note:
        return TransferKind.CREDIT_NOTE
    return kind


@transaction.atomic
def invoices_enqueue_pending(*, client) -> int:
    """Queue every finalized invoice and credit note of `client` that no transfer delivered yet
    (e.g. after a connection was added). Already posted ones are skipped by the exporters."""
    from accounting.selectors import invoices_pending_transfer

    count = 0
    with bulk_work():  # a backlog, not what a user just did
        for invoice in invoices_pending_transfer(client=client):
            kind = TransferKind.CREDIT_NOTE if invoice.is_credit_note else TransferKind.INVOICE
            count += len(transfer_enqueue(obj=invoice, kind=kind, operation=Operation.CREATE))
    return count
