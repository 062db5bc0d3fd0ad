"""Reconciliation write paths: run one, re-transfer the registers it found changed.

    run = reconciliation_run(connection=connection)                  # the last 40 days
    run = reconciliation_run(connection=connection, date_from=d1, date_to=d2, started_by="anne")
    reconciliation_registers_retransfer(run=run, by=user)

A run reads through the connector's reader (`READERS`), classifies documents
(`matching.classify_documents`), binds documents found there whose transfer failed here, lists
register records changed there by hand and compares the account plan (stored per connection in
`AccountPlanCheck`, which finalize and the setup checklist read). Only findings are stored as
items; matched documents are counted. A run that finds something a person must fix, or that
fails, sends one e-mail to the connection's error recipients (`mail.reconciliation_notify`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from integrations.errors import ConnectionMisconfigured, IntegrationError
from integrations.models import Connection, ExternalLink, Operation, System, Transfer, TransferKind

from .matching import Match, classify_documents
from .models import (
    AccountPlanCheck,
    Finding,
    ReconciliationItem,
    ReconciliationRun,
    RunStatus,
)

logger = logging.getLogger(__name__)

#: system -> dotted path of `reader(connection)`; systems not listed cannot read documents back.
READERS = {System.POWEROFFICE: "integrations.poweroffice.reconciliation.reconciliation_reader"}
DEFAULT_DAYS = 40
REGISTER_KINDS = {"customer": TransferKind.CUSTOMER, "project": TransferKind.PROJECT}


def reconciliation_period(
    date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The asked period, by default the last 40 days up to today."""
    date_to = date_to or timezone.localdate()
    days = getattr(settings, "RECONCILIATION_DAYS", DEFAULT_DAYS)
    return date_from or date_to - dt.timedelta(days=days), date_to


def reconciliation_run(
    *,
    connection: Connection,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    started_by: str = "",
    reader=None,
    notify: bool = True,
) -> ReconciliationRun:
    """Reconcile one connection for a period; returns the finished run (never raises for the
    accounting system's errors: the run is marked failed with the reason)."""
    date_from, date_to = reconciliation_period(date_from, date_to)
    if date_from > date_to:
        raise ValueError(_("The period starts after it ends."))
    run = ReconciliationRun.objects.create(
        client=connection.client, connection=connection, date_from=date_from, date_to=date_to,
        started_by=started_by[:150],
    )  # fmt: skip
    path = READERS.get(connection.system)
    if path is None and reader is None:
        return _finish(run, RunStatus.NOT_SUPPORTED, Counter(), _(
            "%(system)s cannot be reconciled: its contract has no route to read invoices or "
            "vouchers back, so only what was sent can be seen (in the sync log)."
        ) % {"system": connection.get_system_display()}, notify=False)  # fmt: skip
    try:
        reader = reader or import_string(path)(connection)
        counts = _reconcile(run, reader)
    except (IntegrationError, ConnectionMisconfigured) as err:
        logger.warning("Reconciliation run %s failed: %s", run.pk, err)
        return _finish(run, RunStatus.FAILED, Counter(), str(err), reader=reader, notify=notify)
    return _finish(run, RunStatus.DONE, counts, "", reader=reader, notify=notify)


def _reconcile(run: ReconciliationRun, reader) -> Counter:
    counts: Counter = Counter()
    ours, theirs = reader.documents(run.date_from, run.date_to)
    matches = classify_documents(ours, theirs, compare_kid=reader.compare_kid)
    _attach_transfers(run.connection, [m for m in matches if m.finding != Finding.MATCHED])
    items = []
    for match in matches:
        counts[match.finding] += 1
        if match.finding != Finding.MATCHED:
            items.append(_document_item(run, match, reader))
    for change in reader.registers():
        counts[Finding.REGISTER_CHANGED] += 1
        items.append(_register_item(run, change))
    for finding, item in _account_plan_items(run, reader.account_plan()):
        counts[finding] += 1
        items.append(item)
    ReconciliationItem.objects.bulk_create(items, batch_size=500)
    return counts


def _finish(run, status, counts: Counter, note: str, *, reader=None, notify=True):
    run.status = status
    run.counts = {str(k): v for k, v in counts.items()}
    run.note = note
    run.finished_at = timezone.now()
    limiter = getattr(getattr(reader, "client", None), "rate_limiter", None)
    run.api_calls = int(getattr(limiter, "calls", 0))
    run.save(update_fields=["status", "counts", "note", "finished_at", "api_calls"])
    if notify and (status == RunStatus.FAILED or run.needs_a_person):
        from .mail import reconciliation_notify

        reconciliation_notify(run=run)
    return run


# -- documents -------------------------------------------------------------------------------------
def _attach_transfers(connection: Connection, matches: list[Match]) -> None:
    """Each document's latest transfer to this connection (queried in chunks)."""
    docs = [m.ours for m in matches if m.ours is not None]
    by_type: dict[int, dict[int, object]] = {}
    for doc in docs:
        content_type = ContentType.objects.get_for_model(doc.obj)
        by_type.setdefault(content_type.pk, {})[doc.obj.pk] = doc
    for content_type_id, wanted in by_type.items():
        ids = list(wanted)
        for start in range(0, len(ids), 500):
            rows = Transfer.objects.filter(
                connection=connection, content_type_id=content_type_id,
                object_id__in=ids[start:start + 500],
            ).order_by("object_id", "created_at", "pk")  # fmt: skip
            for transfer in rows:
                wanted[transfer.object_id].transfer = transfer


def _document_item(run, match: Match, reader) -> ReconciliationItem:
    doc, theirs = match.ours, match.theirs
    first = theirs[0] if theirs else None
    item = ReconciliationItem(
        run=run, finding=match.finding, differences=match.differences,
        external_id=", ".join(t.external_id for t in theirs)[:100],
    )  # fmt: skip
    if doc is None:  # unknown here
        item.what = "invoice" if first.family == "invoice" else "sales_order"
        item.number, item.reference = first.number, first.reference
        text = _("Voucher %(no)s dated %(date)s, amount %(amount)s, customer %(customer)s.")
        item.detail = text % {
            "no": first.voucher_no or first.external_id, "date": first.date or "",
            "amount": first.amount if first.amount is not None else "", "customer": first.customer}
        return item
    item.what, item.number, item.reference = doc.what, doc.number, doc.reference
    item.content_type = ContentType.objects.get_for_model(doc.obj)
    item.object_id = doc.obj.pk
    item.transfer = doc.transfer
    item.detail = _document_detail(run, match, reader)
    return item


def _document_detail(run, match: Match, reader) -> str:
    doc = match.ours
    if match.finding == Finding.MISSING_THERE:
        if doc.external_id:
            text = _("Sent and bound to %(id)s, but not found there: reversed or deleted there?")
            return text % {"id": doc.external_id}
        if doc.transfer is None:
            return _("Never sent to this connection.")
        text = _("Not sent: its transfer is %(status)s. %(error)s") % {
            "status": doc.transfer.status_text(), "error": doc.transfer.last_error[:300]}
        return text.strip()
    if match.finding == Finding.DOUBLED:
        numbers = ", ".join(t.voucher_no or t.external_id for t in match.theirs)
        return _("%(count)d documents there: %(numbers)s. Reverse the extra ones there.") % {
            "count": len(match.theirs), "numbers": numbers}
    if match.finding == Finding.BOUND_HERE:
        try:
            return reader.bind_found(doc, match.theirs[0], run=run)
        except (IntegrationError, ConnectionMisconfigured) as err:
            return _("Found there; binding or the PDF upload failed: %(error)s") % {"error": err}
    return ", ".join(f"{name}: {ours} ≠ {theirs}" for name, ours, theirs in match.differences)


def _register_item(run, change) -> ReconciliationItem:
    detail = change.detail or ", ".join(
        _("%(field)s here %(ours)s, there %(theirs)s") % {"field": n, "ours": o, "theirs": t}
        for n, o, t in change.differences
    )
    return ReconciliationItem(
        run=run, finding=Finding.REGISTER_CHANGED, what=change.what, number=change.number,
        external_id=change.external_id, content_type=ContentType.objects.get_for_model(change.obj),
        object_id=change.obj.pk, differences=change.differences, detail=detail,
    )  # fmt: skip


# -- account plan ----------------------------------------------------------------------------------
def _account_plan_items(run, plan):
    AccountPlanCheck.objects.update_or_create(
        connection=run.connection,
        defaults={
            "checked_at": timezone.now(), "our_accounts": plan.our_accounts,
            "their_accounts": plan.their_accounts, "their_vat_codes": plan.their_vat_codes,
            "missing_accounts": plan.missing, "inactive_accounts": plan.inactive,
            "vat_code_differences": plan.vat_differs, "unknown_vat_codes": plan.vat_unknown,
        },
    )  # fmt: skip
    for number in plan.missing:
        yield Finding.ACCOUNT_MISSING, ReconciliationItem(
            run=run, finding=Finding.ACCOUNT_MISSING, what="account", number=str(number),
            detail=_("Account %(number)s is not in the account plan there; invoices with lines "
                     "on it are refused at finalize.") % {"number": number})  # fmt: skip
    for number in plan.inactive:
        yield Finding.ACCOUNT_INACTIVE, ReconciliationItem(
            run=run, finding=Finding.ACCOUNT_INACTIVE, what="account", number=str(number),
            detail=_("Account %(number)s is inactive there.") % {"number": number})
    for number, ours, theirs in plan.vat_differs:
        yield Finding.VAT_CODE_DIFFERS, ReconciliationItem(
            run=run, finding=Finding.VAT_CODE_DIFFERS, what="account", number=number,
            differences=[["external_vat_code", ours, theirs]],
            detail=_("Account %(number)s: external VAT code here %(ours)s, there %(theirs)s.")
            % {"number": number, "ours": ours, "theirs": theirs})  # fmt: skip
    for code in plan.vat_unknown:
        yield Finding.VAT_CODE_UNKNOWN, ReconciliationItem(
            run=run, finding=Finding.VAT_CODE_UNKNOWN, what="vat_code", number=code,
            detail=_("VAT code %(code)s is used on our accounts but is no VAT code there.")
            % {"code": code})  # fmt: skip


# -- registers -------------------------------------------------------------------------------------
@transaction.atomic
def reconciliation_registers_retransfer(*, run: ReconciliationRun, by=None) -> int:
    """Queue an update of every customer and project the run found changed there; the exporter
    patches what differs, so PowerOffice Go gets our number, name and organization number back.
    Returns the number of transfers queued."""
    from integrations.outbox import transfer_enqueue

    queued = 0
    items = run.items.filter(finding=Finding.REGISTER_CHANGED, object_id__isnull=False)
    for item in items.select_related("content_type"):
        obj = item.object
        if obj is None or item.what not in REGISTER_KINDS:
            continue
        ExternalLink.objects.filter(
            connection=run.connection, content_type=item.content_type, object_id=obj.pk
        ).update(content_hash="")  # sent even though it looks unchanged here
        queued += len(transfer_enqueue(
            obj=obj, kind=REGISTER_KINDS[item.what], operation=Operation.UPSERT,
            connection=run.connection,
            params={"retransfer_by": str(by) if by else "reconciliation", "run": run.pk},
        ))  # fmt: skip
    return queued


def reconciliations_run_nightly(*, connection_id: int) -> int | None:
    """The nightly run of one connection (schedule entry); None when it is gone or disabled."""
    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return None
    return reconciliation_run(connection=connection, started_by="schedule").pk


def reconciliation_requested(
    *, connection_id: int, date_from: str = "", date_to: str = "", started_by: str = ""
) -> int | None:
    """A run asked for from the admin (queued task): ISO dates, blank for the default period."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None
    run = reconciliation_run(
        connection=connection,
        date_from=dt.date.fromisoformat(date_from) if date_from else None,
        date_to=dt.date.fromisoformat(date_to) if date_to else None,
        started_by=started_by,
    )
    return run.pk


def reconciliation_queue(*, connection: Connection, started_by: str = "") -> None:
    """Queue a run of the default period for `connection` (the admin buttons)."""
    from django_q.tasks import async_task

    async_task("integrations.tasks.reconciliation_requested_task", connection.pk, "", "",
               started_by, group="reconciliation")  # fmt: skip
