"""The transfer engine: claim a transfer, run its connector, record the attempt, decide what next.

One path for every connector:
1. `transfer_process(transfer_id)` claims the row (pending → running) so no other worker runs it:
   `select_for_update(skip_locked=True)` where the database supports it (PostgreSQL), otherwise
   an atomic conditional UPDATE (SQLite).
2. The `TransferAttempt` is written (and committed) before the connector runs.
3. The connector runs outside any engine transaction; its own atomic blocks hold domain writes.
4. The outcome is saved afterwards: succeeded/skipped, retry with backoff (TransientError),
   failed (PermanentError, DataError, ConnectionMisconfigured, unexpected), or waiting on a
   broken connection (AuthError). Failures are e-mailed through `notify`, one mail per burst.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Count, F, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import fairness, notify, registry
from .base import SUCCEEDED, ExportResult, ImportReport, TransferContext
from .connections import connection_mark_broken
from .errors import (
    AuthError,
    ConnectionIncomplete,
    ConnectionMisconfigured,
    DataError,
    Deferred,
    PermanentError,
    TransientError,
)
from .http import excerpt, redact
from .lanes import lanes_declare
from .models import AttemptOutcome, Transfer, TransferAttempt, TransferPriority, TransferStatus
from .outbox import transfer_schedule, transfers_wake
from .registry import get_connector
from .selectors import transfers_due, transfers_stale_running, transfers_waiting_for_same_object
from .triage import transfer_error_group_update, transfer_outcome_save
from .worker import heartbeats_enabled, worker_name

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000
# "database is locked", "the connection is closed", a server restart: transient, retried.
DATABASE_FAULTS = (OperationalError, InterfaceError)
_random = secrets.SystemRandom()


# ---------------------------------------------------------------------------------------------
# Claim
# ---------------------------------------------------------------------------------------------
def _claimable(transfer_id: int, now: datetime):
    return Transfer.objects.filter(
        pk=transfer_id,
        status=TransferStatus.PENDING,
        next_attempt_at__lte=now,
        connection__enabled=True,
        connection__broken_since__isnull=True,
    )


def _claim_changes(now: datetime) -> dict:
    return dict(
        status=TransferStatus.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1,
        worker=worker_name(), heartbeat_at=now if heartbeats_enabled() else None,
    )  # fmt: skip


def transfer_claim(transfer_id: int) -> Transfer | None:
    """Move one due pending transfer to running; None if another worker has it or it is not due.
    The claim names this process; in a cluster worker it is also the first heartbeat."""
    now = timezone.now()
    if not _claim_first(_claimable(transfer_id, now), now):
        return None
    return _claimed(transfer_id)


def _claimed(transfer_id: int) -> Transfer:
    """A transfer just claimed, with its connection and the connection's client (one read)."""
    related = [f"connection__{name}" for name in registry.connection_relations()]
    return Transfer.objects.select_related("connection__client", "client", *related).get(
        pk=transfer_id
    )


def _claim_first(candidates, now: datetime) -> int | None:
    """Claim the first of `candidates` (a queryset of due transfers, in order) that nobody else
    holds: skipping locked rows where the database can (PostgreSQL), otherwise by conditional
    UPDATEs (SQLite, one writer). Returns its id."""
    changes = _claim_changes(now)
    if db_connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            locked = candidates.select_for_update(skip_locked=True, of=("self",))
            ids = list(locked.values_list("pk", flat=True)[:1])
            if not ids:
                return None  # another worker holds it, or it is not due
            Transfer.objects.filter(pk=ids[0]).update(**changes)
            return ids[0]
    for transfer_id in candidates.values_list("pk", flat=True)[:3]:
        if _claimable(transfer_id, now).update(**changes):
            return transfer_id
    return None


# --- fair dispatch (issue 19): the next transfer by client turn and priority ------------------
def transfer_claim_next(*, now: datetime | None = None) -> Transfer | None:
    """Claim the due transfer whose turn it is (integrations.fairness): round robin over
    clients, interactive before bulk; None when nothing is due (or only bulk work while every
    bulk slot is taken)."""
    now = now or timezone.now()
    for candidates in fairness.transfers_fair_choices(now=now):
        transfer_id = _claim_first(candidates, now)
        if transfer_id is not None:
            return _claimed(transfer_id)
    return None


def transfers_dispatch(*, seconds: float | None = None) -> int:
    """A cluster worker's run: `INTEGRATIONS_WORKER_LANES` lanes (threads of this process,
    integrations.lanes) each claim the next transfer in fair order and run it, so requests of
    several transfers overlap within the budget. A lane with nothing to claim waits while a
    sibling still runs (what that one finishes may unblock more, and new work may come: it
    looks again every second) and stops when all are idle. After `seconds` (default a third
    of the task timeout) no lane claims more; if work may be left, the queue gets one more
    wake-up. Returns how many transfers ran."""
    seconds = settings.Q_CLUSTER.get("timeout", 300) / 3 if seconds is None else seconds
    dispatch = _Dispatch(deadline=time.monotonic() + seconds)
    pool = transfer_lanes()
    counts = pool.map(dispatch.lane, range(pool.size))
    if dispatch.timed_out:
        transfer_schedule(None)  # ended on time, not for want of work: wake a worker
    return sum(counts)


#: A worker's lanes for transfers: `INTEGRATIONS_WORKER_LANES` threads.
transfer_lanes = lanes_declare(
    "transfers", lambda: max(1, int(settings.INTEGRATIONS_WORKER_LANES))
)


class _Dispatch:
    """The lanes of one `transfers_dispatch`: who is busy, and when to stop."""

    IDLE_LOOK_AGAIN = 1.0  # seconds

    def __init__(self, *, deadline: float) -> None:
        self.deadline = deadline
        self.timed_out = False
        self.busy = 0
        self.changed = threading.Condition()

    def lane(self, _number: int) -> int:
        from .worker import transfer_running, worker_stopping

        count = 0
        while not worker_stopping():
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                break
            transfer = transfer_claim_next()
            if transfer is None:
                with self.changed:
                    if self.busy == 0:
                        break  # nobody runs anything: nothing is due
                    self.changed.wait(self.IDLE_LOOK_AGAIN)
                continue
            with self.changed:
                self.busy += 1
            try:
                with transfer_running(transfer.pk):
                    _transfer_run(transfer)
            finally:
                with self.changed:
                    self.busy -= 1
                    self.changed.notify_all()
            count += 1
        return count


# --- end of fair dispatch ------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Process
# ---------------------------------------------------------------------------------------------
def transfer_process(transfer_id: int) -> str | None:
    """Run one transfer if it is due and nobody else runs it. Returns the new status or None."""
    transfer = transfer_claim(transfer_id)
    if transfer is None:
        return None
    return _transfer_run(transfer)


def _transfer_run(transfer: Transfer) -> str:
    """Run a claimed transfer: record the attempt, run the connector, save the outcome."""
    # The attempt's number is counted by the INSERT itself (no COUNT of its own); it is read
    # back only if someone asks for it.
    earlier = (
        TransferAttempt.objects.filter(transfer_id=transfer.pk)
        .values("transfer_id").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    attempt = TransferAttempt.objects.create(
        transfer=transfer, number=Coalesce(Subquery(earlier), 0) + 1, started_at=timezone.now()
    )
    attempt.__dict__.pop("number", None)  # deferred: loaded on access
    started = time.monotonic()
    context = None
    try:
        connector = get_connector(transfer.connection.system)
        context = TransferContext(transfer=transfer, connector=connector)
        result = context.connector.run(transfer, context)
    except Exception as err:  # noqa: BLE001 - every failure must leave a record
        _on_error(transfer, attempt, err)
    else:
        _on_result(transfer, attempt, result)
    finally:
        _attempt_finish(attempt, context, started)
    return transfer.status


def _attempt_finish(attempt: TransferAttempt, context, started: float) -> None:
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    if context is not None:
        attempt.steps = context.steps
        client = context._client if context.has_client else None
        exchange = getattr(client, "last_exchange", None)
        failed = getattr(client, "last_failed_exchange", None)
        if attempt.http_status and failed and failed.get("status") == attempt.http_status:
            exchange = failed  # the refused call, not a look-up made after it
        if exchange:
            attempt.http_status = attempt.http_status or exchange.get("status")
            attempt.request_summary = attempt.request_summary or exchange.get("request", "")
            attempt.response_summary = attempt.response_summary or exchange.get("response", "")
    attempt.save(update_fields=_ATTEMPT_FIELDS)


_ATTEMPT_FIELDS = ("duration_ms", "steps", "outcome", "error", "http_status", "request_summary",
                   "response_summary")  # fmt: skip
# What finishing a transfer changes (its outcome, result and error grouping).
_FINISH_FIELDS = ("status", "finished_at", "external_id", "result", "last_error", "error_group")


def _on_result(transfer: Transfer, attempt: TransferAttempt, result) -> None:
    transfer.finished_at = timezone.now()
    if isinstance(result, ImportReport):
        transfer.result = {**(transfer.result or {}), **result.as_result()}
        if result.failed:
            _fail(transfer, attempt, _import_failure_text(result), AttemptOutcome.FAILED)
            return
        transfer.status = TransferStatus.SUCCEEDED
    elif isinstance(result, ExportResult):
        transfer.status = (
            TransferStatus.SUCCEEDED if result.outcome == SUCCEEDED else TransferStatus.SKIPPED
        )
        transfer.external_id = result.external_id or transfer.external_id
        transfer.result = {**(transfer.result or {}), "message": result.message}
    else:
        text = _("Unexpected error: the connector returned %(type)s, not a result.") % {
            "type": type(result).__name__}
        _fail(transfer, attempt, text, AttemptOutcome.ERROR)
        return
    transfer.last_error = ""
    transfer_outcome_save(transfer=transfer, fields=_FINISH_FIELDS)
    attempt.outcome = transfer.status


def _import_failure_text(report: ImportReport) -> str:
    head = ngettext(
        "%(failed)d of %(fetched)d record could not be imported",
        "%(failed)d of %(fetched)d records could not be imported",
        report.fetched,
    ) % {"failed": report.failed, "fetched": report.fetched}
    return "\n".join([head, *report.errors[:10]])


def _on_error(transfer: Transfer, attempt: TransferAttempt, err: Exception) -> None:
    secrets_ = transfer.connection.secret_values()
    attempt.http_status = getattr(err, "status_code", None)
    attempt.response_summary = excerpt(getattr(err, "response_excerpt", ""), secrets_)
    if isinstance(err, DATABASE_FAULTS):
        _database_recover()
        text = _("Database fault while sending (%(error)s); it will be tried again.") % {
            "error": f"{type(err).__name__}: {err}"}
        _retry_or_fail(transfer, attempt, TransientError(text), redact(text, secrets_))
    elif isinstance(err, Deferred):
        _defer(transfer, attempt, err, redact(str(err.message), secrets_))
    elif isinstance(err, ConnectionIncomplete):
        text = _("Waiting: the connection cannot be used as configured (%(error)s). It goes "
                 "when the connection is fixed.") % {"error": err}
        waits = Deferred(text, delay=settings.INTEGRATIONS_INCOMPLETE_CONNECTION_WAIT)
        _defer(transfer, attempt, waits, redact(text, secrets_))
    elif isinstance(err, AuthError):
        _wait_for_connection(transfer, attempt, redact(str(err), secrets_))
    elif isinstance(err, TransientError):
        _retry_or_fail(transfer, attempt, err, redact(str(err), secrets_))
    elif isinstance(err, PermanentError | DataError):
        _fail(transfer, attempt, redact(str(err), secrets_), AttemptOutcome.FAILED)
    elif isinstance(err, ConnectionMisconfigured):
        text = redact(
            _("The connection is not configured correctly: %(error)s") % {"error": err}, secrets_
        )
        _fail(transfer, attempt, text, AttemptOutcome.FAILED)
    else:
        _fail(transfer, attempt, _unexpected(transfer, err, secrets_), AttemptOutcome.ERROR)


def _unexpected(transfer: Transfer, err: Exception, secrets_: list[str]) -> str:
    summary = redact(
        _("Unexpected error %(type)s: %(error)s") % {"type": type(err).__name__, "error": err},
        secrets_,
    )
    trace = redact("".join(traceback.format_exception(err)), secrets_)
    logger.error("Transfer %s failed unexpectedly: %s\n%s", transfer.pk, summary, trace)
    return summary


def _fail(transfer: Transfer, attempt: TransferAttempt, text: str, outcome: str) -> None:
    transfer.status = TransferStatus.FAILED
    transfer.finished_at = timezone.now()
    transfer.last_error = text[:ERROR_LENGTH]
    transfer_outcome_save(transfer=transfer, fields=_FINISH_FIELDS)
    attempt.outcome = outcome
    attempt.error = text[:ERROR_LENGTH]
    logger.warning("Transfer %s (%s) failed: %s", transfer.pk, transfer.describe_object(), text)
    notify.failures_notify(connection=transfer.connection)


def _retry_or_fail(transfer, attempt, err: TransientError, text: str) -> None:
    if transfer.attempts >= settings.INTEGRATIONS_MAX_ATTEMPTS:
        gave_up = ngettext(
            "Gave up after %(count)d attempt: %(error)s",
            "Gave up after %(count)d attempts: %(error)s",
            transfer.attempts,
        ) % {"count": transfer.attempts, "error": text}
        _fail(transfer, attempt, gave_up, AttemptOutcome.FAILED)
        return
    delay = backoff_delay(transfer.attempts, getattr(err, "retry_after", None))
    transfer.status = TransferStatus.PENDING
    transfer.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    transfer.queued_at = None
    transfer.last_error = text[:ERROR_LENGTH]
    _save_pending(transfer)
    attempt.outcome = AttemptOutcome.RETRY
    attempt.error = f"{text[:ERROR_LENGTH]} (retry in {delay:.0f} s)"


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try: exponential from INTEGRATIONS_BACKOFF_BASE, capped at
    INTEGRATIONS_BACKOFF_CAP, with jitter (between half and all of it); never earlier than the
    server's Retry-After."""
    base, cap = settings.INTEGRATIONS_BACKOFF_BASE, settings.INTEGRATIONS_BACKOFF_CAP
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    delay = _random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def _defer(transfer: Transfer, attempt: TransferAttempt, err: Deferred, text: str) -> None:
    """Not a failure: the transfer waits for something (see errors.Deferred) and tries again
    later without using up an attempt."""
    transfer.status = TransferStatus.PENDING
    transfer.attempts = max(0, transfer.attempts - 1)
    transfer.next_attempt_at = timezone.now() + timedelta(seconds=err.delay)
    transfer.queued_at = None
    transfer.last_error = text[:ERROR_LENGTH]
    _save_pending(transfer)
    attempt.outcome = AttemptOutcome.WAITING
    attempt.error = text[:ERROR_LENGTH]


def _database_recover() -> None:
    """After a database fault, drop a connection that can no longer be used (the next query
    opens a new one) and leave any broken transaction state behind."""
    if db_connection.in_atomic_block:
        return  # the caller's transaction decides (tests, a command's atomic block)
    try:
        if db_connection.connection is not None and not db_connection.is_usable():
            db_connection.close()
    except DATABASE_FAULTS:
        db_connection.close()


def _wait_for_connection(transfer: Transfer, attempt: TransferAttempt, text: str) -> None:
    """Credentials rejected: the connection is broken; the transfer waits without using up
    an attempt until someone fixes the connection and tests it."""
    transfer.status = TransferStatus.PENDING
    transfer.attempts = max(0, transfer.attempts - 1)
    transfer.queued_at = None
    transfer.last_error = text[:ERROR_LENGTH]
    _save_pending(transfer)
    attempt.outcome = AttemptOutcome.AUTH_FAILED
    attempt.error = text[:ERROR_LENGTH]
    connection_mark_broken(connection=transfer.connection, reason=text)


_PENDING_FIELDS = ("status", "attempts", "next_attempt_at", "queued_at", "last_error")


def _save_pending(transfer: Transfer) -> None:
    """Put a running transfer back to pending (its fields already set); nothing happens when it
    no longer runs (the reaper or another worker got there first)."""
    try:
        with transaction.atomic():
            _still_running(transfer).update(**_values(transfer, _PENDING_FIELDS))
    except IntegrityError:  # the object was queued again while this one ran
        _hand_over(transfer)


def _still_running(transfer: Transfer):
    return Transfer.objects.filter(pk=transfer.pk, status=TransferStatus.RUNNING)


def _values(transfer: Transfer, names) -> dict:
    return {name: getattr(transfer, name) for name in names}


@transaction.atomic
def _hand_over(transfer: Transfer) -> None:
    """Only one transfer of an object may wait (the coalescing constraint). When the object was
    queued again while this transfer ran, the waiting transfer takes over: it gets this one's
    parameters (its own win) and waits at least as long (Retry-After); it will send the
    object's current state. This one ends as cancelled, saying where it continues."""
    waiting = transfers_waiting_for_same_object(transfer=transfer).select_for_update().first()
    if waiting is None:  # claimed meanwhile: nothing waits any more
        _still_running(transfer).update(**_values(transfer, _PENDING_FIELDS))
        return
    waiting.params = {**(transfer.params or {}), **(waiting.params or {})}
    waiting.next_attempt_at = max(waiting.next_attempt_at, transfer.next_attempt_at)
    waiting.save(update_fields=["params", "next_attempt_at"])
    note = _("The object was queued again meanwhile; continues as transfer %(id)s.") % {
        "id": waiting.pk}
    transfer.status, transfer.finished_at = TransferStatus.CANCELLED, timezone.now()
    transfer.last_error = f"{note}\n{transfer.last_error}"[:ERROR_LENGTH]
    _still_running(transfer).update(**_values(transfer, ("status", "finished_at", "last_error")))


# ---------------------------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------------------------
def transfers_reap_stale(*, now: datetime | None = None) -> int:
    """Running transfers whose worker died: back to pending (or failed when out of attempts).
    A transfer a cluster worker runs is dead when its heartbeat is older than
    INTEGRATIONS_HEARTBEAT_TIMEOUT; one run without heartbeat (a command, sync mode) when it
    started more than INTEGRATIONS_RUNNING_TIMEOUT ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INTEGRATIONS_RUNNING_TIMEOUT)
    silent_since = now - timedelta(seconds=settings.INTEGRATIONS_HEARTBEAT_TIMEOUT)
    count = 0
    for transfer in transfers_stale_running(cutoff=cutoff, silent_since=silent_since):
        if transfer.heartbeat_at:
            text = _("The worker %(worker)s stopped before finishing (no sign of life since "
                     "%(since)s).") % {
                "worker": transfer.worker,
                "since": formats.localize(timezone.localtime(transfer.heartbeat_at))}
        else:
            text = _("The worker stopped before finishing (running since %(start)s).") % {
                "start": formats.localize(timezone.localtime(transfer.started_at))
                if transfer.started_at else "?"}
        TransferAttempt.objects.filter(transfer=transfer, outcome=AttemptOutcome.RUNNING).update(
            outcome=AttemptOutcome.ERROR, error=text
        )
        if transfer.attempts >= settings.INTEGRATIONS_MAX_ATTEMPTS:
            transfer.status, transfer.last_error = TransferStatus.FAILED, text
            transfer_error_group_update(transfer=transfer)
            _still_running(transfer).update(
                status=TransferStatus.FAILED, finished_at=now, last_error=text,
                error_group=transfer.error_group,
            )
            notify.failures_notify(connection=transfer.connection)
        else:
            transfer.status, transfer.next_attempt_at = TransferStatus.PENDING, now
            transfer.queued_at, transfer.last_error = None, text
            _save_pending(transfer)
        count += 1
    return count


def transfers_heartbeat(*, transfer_ids: list[int], worker: str) -> int:
    """A sign of life from the worker running the transfers; returns how many still run there."""
    return Transfer.objects.filter(
        pk__in=transfer_ids, status=TransferStatus.RUNNING, worker=worker
    ).update(heartbeat_at=timezone.now())


INTERRUPTED_TEXT = (
    "The task worker was stopped (service shutdown) before the transfer finished; it is "
    "pending again and runs once a worker is back."
)


def transfer_release_interrupted(*, transfer_id: int, worker: str) -> bool:
    """The worker running the transfer was told to stop (SIGTERM): the transfer goes back to
    pending, due now, without using up an attempt (the shutdown was not its fault); its open
    attempt says what happened. False when it no longer runs on that worker."""
    transfer = Transfer.objects.filter(
        pk=transfer_id, status=TransferStatus.RUNNING, worker=worker
    ).first()
    if transfer is None:
        return False
    TransferAttempt.objects.filter(transfer=transfer, outcome=AttemptOutcome.RUNNING).update(
        outcome=AttemptOutcome.ERROR, error=INTERRUPTED_TEXT
    )
    transfer.status, transfer.next_attempt_at = TransferStatus.PENDING, timezone.now()
    transfer.attempts = max(0, transfer.attempts - 1)
    transfer.queued_at, transfer.last_error = None, INTERRUPTED_TEXT
    _save_pending(transfer)
    return True


def transfers_sweep(*, limit: int = 500) -> dict[str, int]:
    """Every minute: reap dead runs, hand due pending transfers to the queue, send collected
    failure e-mails. Transfers already handed over recently are left to their task."""
    now = timezone.now()
    reaped = transfers_reap_stale(now=now)
    due = list(transfers_due(now=now).values_list("pk", flat=True)[:limit])
    queued = transfers_wake(transfer_ids=due)  # no duplicate tasks behind a long backlog
    mails = notify.failures_notify_collected()
    return {"reaped": reaped, "queued": queued, "mails": mails}


def transfers_process_due(*, limit: int = 500) -> dict[str, int]:
    """Run due transfers in this process, one after another (management command, debugging)."""
    now = timezone.now()
    reaped = transfers_reap_stale(now=now)
    ids = list(transfers_due(now=now, include_queued=True).values_list("pk", flat=True)[:limit])
    counts: dict[str, int] = {"reaped": reaped}
    for transfer_id in ids:
        status = transfer_process(transfer_id) or "not claimed"
        counts[status] = counts.get(status, 0) + 1
    notify.failures_notify_collected()
    return counts


# ---------------------------------------------------------------------------------------------
# Re-queue and cancel (admin actions, requeue_failed command)
# ---------------------------------------------------------------------------------------------
class TransferNotAllowed(Exception):
    """The transfer is in a state that does not allow this action; the message says why."""


@transaction.atomic
def transfer_requeue(*, transfer: Transfer, by=None) -> Transfer:
    """Send a finished transfer again (after the data was fixed). If a pending transfer of the
    same object already waits, that one is returned and this one stays as it is."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if not transfer.is_final:
        raise TransferNotAllowed(
            f"{transfer.describe_object()} is {transfer.status}, not finished."
        )
    if transfer.object_id is not None:
        waiting = transfers_waiting_for_same_object(transfer=transfer).first()
        if waiting is not None:
            return waiting
    transfer.status = TransferStatus.PENDING
    transfer.attempts = 0
    transfer.priority = TransferPriority.BULK  # sent again: after the client's new work
    transfer.next_attempt_at = timezone.now()
    transfer.finished_at = transfer.queued_at = transfer.notified_at = None
    transfer.save()
    logger.info("Transfer %s re-queued by %s", transfer.pk, by or "system")
    _schedule_on_commit(transfer.pk)
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by=None) -> Transfer:
    """Give up on a pending or failed transfer: it will not run unless re-queued."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status not in {TransferStatus.PENDING, TransferStatus.FAILED}:
        raise TransferNotAllowed(
            _("%(object)s is %(status)s; only pending or failed transfers can be cancelled.")
            % {"object": transfer.describe_object(), "status": transfer.get_status_display()}
        )
    transfer.status = TransferStatus.CANCELLED
    transfer.finished_at = timezone.now()
    transfer.save(update_fields=["status", "finished_at"])
    logger.info("Transfer %s cancelled by %s", transfer.pk, by or "system")
    return transfer


#: Failed transfers re-queued per transaction by `transfers_requeue_failed`.
REQUEUE_BATCH_SIZE = 500


def transfers_requeue_failed(
    *, client=None, kind: str | None = None, by=None, batch_size: int = REQUEUE_BATCH_SIZE
) -> int:
    """Re-queue every failed transfer (optionally of one client and/or kind). Returns how many.

    Works through primary-key ranges, each batch in its own transaction whose transfers are
    handed to the queue when it commits. No cursor stays open across a batch: handing over a
    task may close the database connection (Django-Q2's ORM broker closes "old" connections,
    and in sync mode the task runs inline), and the next batch simply opens a new one."""
    failed = Transfer.objects.filter(status=TransferStatus.FAILED)
    if client is not None:
        failed = failed.filter(client=client)
    if kind:
        failed = failed.filter(kind=kind)
    count, after = 0, 0
    while True:
        ids = list(failed.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[
            :batch_size
        ])
        if not ids:
            return count
        count += _requeue_batch(ids=ids, by=by)
        after = ids[-1]


@transaction.atomic
def _requeue_batch(*, ids: list[int], by) -> int:
    """One batch of `transfers_requeue_failed`: the transfers still failed among `ids` go back
    to pending, except where the same object already waits (that transfer will send it)."""
    count = 0
    for transfer in Transfer.objects.select_for_update().filter(
        pk__in=ids, status=TransferStatus.FAILED
    ).order_by("pk"):
        if transfer_requeue(transfer=transfer, by=by).pk == transfer.pk:
            count += 1
    return count


def _schedule_on_commit(transfer_id: int) -> None:
    transaction.on_commit(lambda: transfer_schedule(transfer_id))
