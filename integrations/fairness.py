"""Fair shares of one API budget: which due transfer a worker runs next (issue 19).

All clients of an installation share one PowerOffice Go subscription key, so one budget of
requests per second. First-come-first-served would let one client's month-end run, a nightly
POS batch or a re-queue of 2,000 failures hold every other client's work for minutes. The rules:

- **Round robin over clients, per class.** The next transfer belongs to the client with due
  work that was served least recently (the latest `started_at` of its transfers of that
  class; never served comes first). Each client with pending work so gets its turn whatever
  its backlog, and one client alone gets every turn (the whole budget). A single invoice of one
  of 200 clients is not held behind a round of the others' nightly batches: interactive and
  bulk work each have their own round.
- **Interactive before bulk within a client.** `Transfer.priority`: what a user just did (an
  invoice finalized, a register saved, a connection test) is interactive; batches, imports,
  initial syncs, re-queues and re-transfers are bulk (`transfer_priority_for`). Code that starts
  bulk work of another kind (reconciliation, a data migration) wraps it in `bulk_work()`, or
  passes `priority=TransferPriority.BULK` to `transfer_enqueue`.
- **Shares of the lanes.** Bulk work takes a free lane while fewer than `bulk_slots()` bulk
  transfers run (default: half the cluster's lanes), and never more, so batches and imports
  of every client keep moving during another client's month-end run and never occupy every
  lane while an invoice waits.

The pick itself (`transfer_claim_next` in the engine) claims the first unlocked transfer of the
first client in this order, so concurrent workers never wait for each other. Every worker of
every machine reads the same rows: the order is one order across the installation, like the
budget (the rate limiter in the shared cache).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Operation, Transfer, TransferKind, TransferPriority, TransferStatus
from .selectors import transfers_due

#: Kinds that are bulk whatever the operation: many records per transfer, nobody waiting.
BULK_KINDS = frozenset({
    TransferKind.POS_BATCH, TransferKind.INITIAL_SYNC, TransferKind.EXPENSE_IMPORT,
    TransferKind.PAYMENT_IMPORT,
})  # fmt: skip
BULK_OPERATIONS = frozenset({Operation.IMPORT, Operation.BATCH})
#: A parameter that marks a transfer as sent again on request (integrations.retransfer).
RETRANSFER_PARAM = "retransfer_by"
#: Clients looked at per pick; more are only reached when all of these are claimed meanwhile.
CANDIDATE_CLIENTS = 8

_bulk: ContextVar[bool] = ContextVar("integrations_bulk_work", default=False)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Everything queued inside runs as bulk work (after the client's interactive work, and
    never on the worker kept for interactive work): reconciliation, imports, scripts."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def transfer_priority_for(*, kind: str, operation: str, params: dict[str, Any] | None) -> int:
    """The priority of a transfer queued now for (kind, operation, params)."""
    if _bulk.get() or kind in BULK_KINDS or operation in BULK_OPERATIONS:
        return TransferPriority.BULK
    if params and RETRANSFER_PARAM in params:
        return TransferPriority.BULK
    return TransferPriority.INTERACTIVE


def cluster_workers() -> int:
    return int(settings.Q_CLUSTER.get("workers") or 1)


def cluster_lanes() -> int:
    """Transfers one cluster runs at once: its workers times each worker's lanes."""
    return cluster_workers() * max(1, int(settings.INTEGRATIONS_WORKER_LANES))


def bulk_slots() -> int:
    """How many bulk transfers may run at once across the installation: the setting
    INTEGRATIONS_BULK_WORKERS, or half the cluster's lanes (at least one), so the other half
    is always free for what a user just did."""
    configured = getattr(settings, "INTEGRATIONS_BULK_WORKERS", None)
    if configured:
        return max(1, int(configured))
    return max(1, cluster_lanes() // 2)


def _last_served(priority: int) -> Subquery:
    """When the client's work of this priority last started (a scalar subquery)."""
    return Subquery(
        Transfer.objects.filter(
            client_id=OuterRef("pk"), priority=priority, started_at__isnull=False
        )
        .order_by("-started_at")
        .values("started_at")[:1]
    )


def _in_turn(rows: list[dict], served: str) -> list[dict]:
    """Least recently served first (never served before everyone), then by client."""
    return sorted(rows, key=lambda row: (row[served] is not None, row[served] or 0,
                                         row["pk"]))  # fmt: skip


def transfers_fair_choices(*, now: datetime) -> Iterator[QuerySet]:
    """Due transfers to claim from, one queryset per client and class, in fair order.

    Two rounds, each round robin over clients by when their work of that class last started:
    interactive work, and bulk work while fewer than `bulk_slots()` bulk transfers run (its
    share of the lanes); of the two, the class with fewer transfers running goes first, so
    both move, turn about. A client's bulk work waits while it has interactive work due.
    Within a queryset, by due time.

    One query, one row per client with due work: whether it has interactive work due, when
    each class of its work last started (one index entry each, `integ_transfer_turn`) and the
    transfers running per class. Its cost follows the number of clients, not the backlog: a
    row per due transfer grouped by client would work out each turn once per transfer (the
    grouping keys are computed per row), thousands of times during a month-end run."""
    due = transfers_due(now=now, include_queued=True).order_by()
    interactive, bulk = TransferPriority.INTERACTIVE, TransferPriority.BULK
    mine = due.filter(client_id=OuterRef("pk"))
    client_model = Transfer._meta.get_field("client").related_model
    rows = list(
        client_model.objects.filter(Exists(mine))
        .annotate(
            has_interactive=Exists(mine.filter(priority=interactive)),
            served_interactive=_last_served(interactive), served_bulk=_last_served(bulk),
            running_bulk=_running(bulk), running_interactive=_running(interactive),
        )  # fmt: skip
        .order_by()
        .values("pk", "has_interactive", "served_interactive", "served_bulk", "running_bulk",
                "running_interactive")  # fmt: skip
    )
    if not rows:
        return
    rounds = [(interactive, _in_turn([r for r in rows if r["has_interactive"]],
                                     "served_interactive"))]  # fmt: skip
    running_bulk = rows[0]["running_bulk"]
    if running_bulk < bulk_slots():
        bulk_round = (bulk, _in_turn([r for r in rows if not r["has_interactive"]],
                                     "served_bulk"))  # fmt: skip
        # The class with fewer transfers running goes first: both move, turn about.
        if running_bulk < rows[0]["running_interactive"]:
            rounds.insert(0, bulk_round)
        else:
            rounds.append(bulk_round)
    for priority, turn in rounds:
        for row in turn[:CANDIDATE_CLIENTS]:
            yield due.filter(client_id=row["pk"], priority=priority).order_by(
                "next_attempt_at", "pk"
            )


def _running(priority: int) -> Coalesce:
    """How many transfers of this priority run now, across the installation (a scalar
    subquery)."""
    running = (
        Transfer.objects.filter(status=TransferStatus.RUNNING, priority=priority)
        .order_by().values("priority").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    return Coalesce(Subquery(running), 0)
