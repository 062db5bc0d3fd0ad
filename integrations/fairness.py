"""Fair shares of one API budget: which due transfer a worker runs next (issue 19).

All clients of an installation share one PowerOffice Go subscription key, so one budget of
requests per second. First-come-first-served would let one client's month-end run, a nightly
POS batch or a re-queue of 2,000 failures hold every other client's work for minutes. The rules:

- **Round robin over clients.** The next transfer belongs to the client with due work that was
  served least recently (the latest `started_at` of its transfers; never served comes first).
  Each client with pending work so gets its turn whatever its backlog, and one client alone
  gets every turn (the whole budget).
- **Interactive before bulk within a client.** `Transfer.priority`: what a user just did (an
  invoice finalized, a register saved, a connection test) is interactive; batches, imports,
  initial syncs, re-queues and re-transfers are bulk (`transfer_priority_for`). Code that starts
  bulk work of another kind (reconciliation, a data migration) wraps it in `bulk_work()`, or
  passes `priority=TransferPriority.BULK` to `transfer_enqueue`.
- **Lanes kept for interactive work.** At most `bulk_slots()` bulk transfers run at once
  (default: half the cluster's lanes), so long POS batches or imports never occupy every lane
  while an invoice waits.

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
from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery
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


def _last_served() -> Subquery:
    return Subquery(
        Transfer.objects.filter(client_id=OuterRef("client_id"), started_at__isnull=False)
        .order_by("-started_at")
        .values("started_at")[:1]
    )


def transfers_fair_choices(*, now: datetime) -> Iterator[QuerySet]:
    """Due transfers to claim from, one queryset per client in fair order (least recently
    served client first), each ordered interactive first, then by due time. Bulk work is left
    out while `bulk_slots()` bulk transfers run. One query: the running bulk transfers are
    counted in the same statement as the clients' turns."""
    due = transfers_due(now=now, include_queued=True).order_by()
    clients = list(
        due.values("client_id")
        .annotate(best=Min("priority"), served=_last_served(), running_bulk=_running_bulk())
        .order_by(F("served").asc(nulls_first=True), "client_id")[:CANDIDATE_CLIENTS]
    )
    bulk_full = bool(clients) and clients[0]["running_bulk"] >= bulk_slots()
    for row in clients:
        mine = due.filter(client_id=row["client_id"])
        if bulk_full:
            if row["best"] == TransferPriority.BULK:
                continue
            mine = mine.filter(priority=TransferPriority.INTERACTIVE)
        yield mine.order_by("priority", "next_attempt_at", "pk")


def _running_bulk() -> Coalesce:
    """How many bulk transfers run now, across the installation (a scalar subquery)."""
    running = (
        Transfer.objects.filter(status=TransferStatus.RUNNING, priority=TransferPriority.BULK)
        .order_by().values("priority").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    return Coalesce(Subquery(running), 0)

