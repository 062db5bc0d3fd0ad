"""Read paths shared by the engine, the admin and the commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .models import Transfer, TransferStatus

# The sweep leaves a transfer to the task it was handed to for this long before re-queueing it.
QUEUE_GRACE = timedelta(minutes=2)


def transfers_due(*, now: datetime | None = None, include_queued: bool = False) -> QuerySet:
    """Pending transfers whose time has come, on enabled connections that are not broken,
    oldest first (those of a disabled connection wait for `connection_enable`). Unless
    `include_queued`, skip those handed to the queue moments ago."""
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


def transfers_stale_running(*, cutoff: datetime, silent_since: datetime | None = None) -> QuerySet:
    """Running transfers presumed dead: without heartbeat and started before `cutoff`, or with
    a heartbeat older than `silent_since`."""
    stale = Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    if silent_since is not None:
        stale |= Q(heartbeat_at__lt=silent_since)
    return Transfer.objects.filter(stale, status=TransferStatus.RUNNING).select_related(
        "connection"
    )


def transfers_overview(*, now: datetime | None = None) -> list[dict]:
    """Per client with transfers in the last 30 days or still pending: counts by status for the
    last 24 hours and 30 days (in TransferStatus order), and the oldest pending transfer."""
    now = now or timezone.now()
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    counts = {}
    for status in TransferStatus.values:
        counts[f"day_{status}"] = Count("pk", filter=Q(status=status, created_at__gte=day))
        counts[f"month_{status}"] = Count("pk", filter=Q(status=status, created_at__gte=month))
    rows = (
        Transfer.objects.filter(Q(created_at__gte=month) | Q(status=TransferStatus.PENDING))
        .values("client_id", "client__name")
        .annotate(
            oldest_pending=Min("created_at", filter=Q(status=TransferStatus.PENDING)), **counts
        )
        .order_by("client__name")
    )
    return [
        {
            "client_id": row["client_id"],
            "client": row["client__name"],
            "day": [row[f"day_{s}"] for s in TransferStatus.values],
            "month": [row[f"month_{s}"] for s in TransferStatus.values],
            "oldest_pending": row["oldest_pending"],
        }
        for row in rows
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
    oldest pending transfer's creation time, and how many pending ones wait for a disabled
    connection. Keys: client_id, client, system, day_<state>, month_<state>, oldest_pending,
    waiting_disabled."""
    now = now or timezone.now()
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    counts = {}
    for state, statuses in HEALTH_STATES.items():
        counts[f"day_{state}"] = Count("pk", filter=Q(status__in=statuses, created_at__gte=day))
        counts[f"month_{state}"] = Count(
            "pk", filter=Q(status__in=statuses, created_at__gte=month)
        )
    pending = HEALTH_STATES["pending"]
    # Pending on a disabled connection: they go only when someone enables it.
    counts["waiting_disabled"] = Count(
        "pk", filter=Q(status=TransferStatus.PENDING, connection__enabled=False)
    )
    rows = (
        Transfer.objects.filter(Q(created_at__gte=month) | Q(status__in=pending))
        .values("client_id", "client__name", "connection__system")
        .annotate(oldest_pending=Min("created_at", filter=Q(status__in=pending)), **counts)
        .order_by("client__name", "connection__system")
    )
    return [
        {**row, "client": row.pop("client__name"), "system": row.pop("connection__system")}
        for row in rows
    ]
