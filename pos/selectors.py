"""Read paths of the pos app, shared by the batch, the PowerOffice exporter and the admin."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounting.models import Client
from integrations.outbox import System, connection_for

from .models import PosBatch, PosSale, PosSettings

#: The system POS invoice sales are sent to (through the client's connection to it).
POS_SYSTEM = System.POWEROFFICE


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def pos_sales_due(*, client: Client, since: dt.date, until: dt.date) -> QuerySet[PosSale]:
    """Sales not yet sent (unsent, or failed before) sold from `since` to `until`, inclusive,
    in local business days; oldest first."""
    return PosSale.objects.filter(
        client=client,
        status__in=(PosSale.Status.UNSENT, PosSale.Status.FAILED),
        sold_at__gte=_day_start(since),
        sold_at__lt=_day_start(until + dt.timedelta(days=1)),
    ).order_by("sold_at", "pk")


def pos_sales_of_batch_unsent(
    *, batch: PosBatch, after: PosSale | None = None
) -> QuerySet[PosSale]:
    """The batch's sales still to send, with what the mapping reads, oldest first; with
    `after`, only those that come after that sale in this order (a page at a time without
    holding the batch's ids)."""
    sales = PosSale.objects.filter(batch=batch).exclude(status=PosSale.Status.SENT)
    if after is not None:
        sales = sales.filter(
            Q(sold_at__gt=after.sold_at) | Q(sold_at=after.sold_at, pk__gt=after.pk)
        )
    return (
        sales.select_related("customer", "client")
        .prefetch_related("lines")
        .order_by("sold_at", "pk")
    )


def pos_settings_enabled(*, client: Client | None = None) -> QuerySet[PosSettings]:
    settings = PosSettings.objects.filter(enabled=True, client__active=True)
    if client is not None:
        settings = settings.filter(client=client)
    return settings.select_related("client")


def pos_connection(*, client: Client):
    """The client's PowerOffice Go connection (where POS sales go), or None."""
    return connection_for(client=client, system=POS_SYSTEM)


def pos_batches_latest(*, client_ids) -> dict[int, PosBatch]:
    """client id -> its most recent nightly batch (one query)."""
    from django.db.models import OuterRef, Subquery

    latest = PosBatch.objects.filter(client=OuterRef("client")).order_by("-business_date", "-pk")
    rows = PosBatch.objects.filter(
        client_id__in=list(client_ids), pk=Subquery(latest.values("pk")[:1])
    )
    return {batch.client_id: batch for batch in rows}
