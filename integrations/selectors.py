"""Read paths shared by the engine, the admin and the commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounting.models import Client

from .models import Connection, Transfer, TransferStatus

# The sweep leaves a transfer to the task it was handed to for this long before re-queueing it.
QUEUE_GRACE = timedelta(minutes=2)


def transfers_due(*, now: datetime | None = None, include_queued: bool = False) -> QuerySet:
    """Pending transfers whose time has come, on enabled connections that are not broken,
    oldest first. Unless `include_queued`, skip those handed to the queue moments ago."""
    now = now or timezone.now()
    qs = Transfer.objects.filter(
        status=TransferStatus.PENDING,
        next_attempt_at__lte=now,
        connection__enabled=True,
        connection__broken_since__isnull=True,
    )
    if not include_queued:
        qs = qs.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUE_GRACE))
    return qs.order_by("next_attempt_at", "pk")


def transfers_waiting_for_same_object(*, transfer: Transfer) -> QuerySet:
    """The other pending transfer (at most one) of the same object, kind and connection."""
    return Transfer.objects.filter(
        connection_id=transfer.connection_id,
        kind=transfer.kind,
        content_type_id=transfer.content_type_id,
        object_id=transfer.object_id,
        status=TransferStatus.PENDING,
    ).exclude(pk=transfer.pk)


def transfers_stale_running(*, cutoff: datetime) -> QuerySet:
    return Transfer.objects.filter(
        status=TransferStatus.RUNNING, started_at__lt=cutoff
    ).select_related("connection")


def transfers_overview(*, now: datetime | None = None) -> list[dict]:
    """Per client with transfers in the last 30 days or still pending: counts by status for the
    last 24 hours and 30 days (in TransferStatus order), and the oldest pending transfer."""
    now = now or timezone.now()
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    counts = {}
    for status in TransferStatus.values:
        counts[f"day_{status}"] = Count("pk", filter=Q(status=status, created_at__gte=day))
        counts[f"month_{status}"] = Count("pk", filter=Q(status=status, created_at__gte=month))
    per_client = {
        row.pop("client_id"): row
        for row in Transfer.objects.filter(
            Q(created_at__gte=month) | Q(status=TransferStatus.PENDING)
        )
        .values("client_id")
        .annotate(
            oldest_pending=Min("created_at", filter=Q(status=TransferStatus.PENDING)), **counts
        )
        .order_by()
    }
    names = Client.objects.filter(pk__in=per_client).values_list("pk", "name")
    return [
        {
            "client_id": client_id,
            "client": name,
            "day": [per_client[client_id][f"day_{s}"] for s in TransferStatus.values],
            "month": [per_client[client_id][f"month_{s}"] for s in TransferStatus.values],
            "oldest_pending": per_client[client_id]["oldest_pending"],
        }
        for client_id, name in sorted(names, key=lambda pair: (pair[1], pair[0]))
    ]


#: The dashboard's three states; RUNNING counts as pending (still on its way).
HEALTH_STATES = {
    "succeeded": (TransferStatus.SUCCEEDED,),
    "failed": (TransferStatus.FAILED,),
    "pending": (TransferStatus.PENDING, TransferStatus.RUNNING),
}


def transfers_health(*, now: datetime | None = None) -> list[dict]:
    """One aggregate query: per client and system with transfers in the last 30 days or still
    pending, the succeeded/failed/pending counts of the last 24 hours and 30 days and the
    oldest pending transfer's creation time. Keys: client_id, client, system, day_<state>,
    month_<state>, oldest_pending."""
    now = now or timezone.now()
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    counts = {}
    for state, statuses in HEALTH_STATES.items():
        counts[f"day_{state}"] = Count("pk", filter=Q(status__in=statuses, created_at__gte=day))
        counts[f"month_{state}"] = Count(
            "pk", filter=Q(status__in=statuses, created_at__gte=month)
        )
    pending = HEALTH_STATES["pending"]
    # Grouped by connection alone (one per client and system), without joins, so the database
    # aggregates narrow rows; names come from the few connections afterwards.
    per_connection = {
        row.pop("connection_id"): row
        for row in Transfer.objects.filter(Q(created_at__gte=month) | Q(status__in=pending))
        .values("connection_id")
        .annotate(oldest_pending=Min("created_at", filter=Q(status__in=pending)), **counts)
        .order_by()
    }
    connections = Connection.objects.filter(pk__in=per_connection).select_related("client")
    rows = [
        {"client_id": c.client_id, "client": c.client.name, "system": c.system,
         **per_connection[c.pk]}
        for c in connections
    ]  # fmt: skip
    return sorted(rows, key=lambda row: (row["client"], row["system"], row["client_id"]))
