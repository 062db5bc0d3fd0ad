"""Read paths shared by the engine, the admin and the commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, QuerySet
from django.utils import timezone

from .models import RESOLVED_FAILURE, Connection, Transfer, TransferStatus

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


WAITING = (TransferStatus.PENDING, TransferStatus.RUNNING)


def transfer_counts_recent(*, now: datetime, waiting=WAITING) -> tuple[dict, dict]:
    """The month's transfers counted per connection and status, for the last 30 days and the
    last 24 hours: {(connection_id, status): [day, month]}; and the oldest transfer still
    waiting (pending or running) per connection: {connection_id: created_at}. Two narrow
    aggregates without joins: the month through the index on `created_at`, the waiting ones
    through `integ_transfer_running`."""
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    today = ExpressionWrapper(Q(created_at__gte=day), output_field=BooleanField())
    resolved = ExpressionWrapper(RESOLVED_FAILURE, output_field=BooleanField())
    rows = (
        Transfer.objects.filter(created_at__gte=month)
        .annotate(today=today, resolved=resolved)
        .values("connection_id", "status", "today", "resolved")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[int, str], list[int]] = {}
    for row in rows:
        # A failure a later transfer resolved is history, not something still wrong.
        status = RESOLVED if row["resolved"] else row["status"]
        pair = counts.setdefault((row["connection_id"], status), [0, 0])
        pair[0] += row["count"] if row["today"] else 0
        pair[1] += row["count"]
    waiting = (
        Transfer.objects.filter(status__in=waiting)
        .values("connection_id")
        .annotate(
            oldest=Min("created_at"),
            pending=Count("pk", filter=Q(status=TransferStatus.PENDING)),
        )
        .order_by()
    )
    rows = list(waiting)
    # Every pending transfer (however old) per connection, under the key "pending_all".
    for row in rows:
        counts[(row["connection_id"], "pending_all")] = [row["pending"], row["pending"]]
    return counts, {row["connection_id"]: row["oldest"] for row in rows}


def transfers_overview(*, now: datetime | None = None) -> list[dict]:
    """Per client with transfers in the last 30 days or still pending: counts by status for the
    last 24 hours and 30 days (in TransferStatus order), and the oldest pending transfer."""
    counts, oldest = transfer_counts_recent(
        now=now or timezone.now(), waiting=(TransferStatus.PENDING,)
    )
    connections = Connection.objects.filter(pk__in={c for c, _ in counts} | set(oldest))
    per_client: dict[int, dict] = {}
    for connection in connections.select_related("client"):
        row = per_client.setdefault(connection.client_id, {
            "client_id": connection.client_id, "client": connection.client.name,
            "day": [0] * len(TransferStatus.values), "month": [0] * len(TransferStatus.values),
            "oldest_pending": None,
        })  # fmt: skip
        for index, status in enumerate(TransferStatus.values):
            day, month = counts.get((connection.pk, status), (0, 0))
            row["day"][index] += day
            row["month"][index] += month
        when = oldest.get(connection.pk)
        if when and (row["oldest_pending"] is None or when < row["oldest_pending"]):
            row["oldest_pending"] = when
    return sorted(per_client.values(), key=lambda row: (row["client"], row["client_id"]))


#: The dashboard's three states; RUNNING counts as pending (still on its way).
RESOLVED = "resolved"  # a failed transfer a later transfer of its object resolved
HEALTH_STATES = {
    "succeeded": (TransferStatus.SUCCEEDED,),
    "failed": (TransferStatus.FAILED,),
    "pending": (TransferStatus.PENDING, TransferStatus.RUNNING),
}


def transfers_health(*, now: datetime | None = None) -> list[dict]:
    """Per client and system with transfers in the last 30 days or still pending, the
    succeeded/failed/pending counts of the last 24 hours and 30 days and the oldest pending
    transfer's creation time. Keys: client_id, client, system, day_<state>, month_<state>,
    oldest_pending, and waiting_disabled (pending on a disabled connection: they go only when
    someone enables it). Two aggregates (`transfer_counts_recent`) and the connections'
    names."""
    counts, oldest = transfer_counts_recent(now=now or timezone.now())
    connections = Connection.objects.filter(pk__in={c for c, _ in counts} | set(oldest))
    rows = []
    for connection in connections.select_related("client"):
        row = {"client_id": connection.client_id, "client": connection.client.name,
               "system": connection.system, "oldest_pending": oldest.get(connection.pk),
               "waiting_disabled": 0 if connection.enabled
               else counts.get((connection.pk, "pending_all"), (0, 0))[0]}
        for state, statuses in HEALTH_STATES.items():
            pairs = [counts.get((connection.pk, status), (0, 0)) for status in statuses]
            row[f"day_{state}"] = sum(day for day, _ in pairs)
            row[f"month_{state}"] = sum(month for _, month in pairs)
        rows.append(row)
    return sorted(rows, key=lambda row: (row["client"], row["system"], row["client_id"]))
