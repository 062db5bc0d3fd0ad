"""Read paths of the API: always scoped to the token's client."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from integrations.models import ExternalLink, Transfer


def record_of_client_or_404(model: type[models.Model], *, client, select_related=(), **lookup):
    """One record of the client; another client's record is 'not found' (no existence leak)."""
    queryset = model.objects.filter(client=client).select_related(*select_related)
    return get_object_or_404(queryset, **lookup)


def transfers_of_client(*, client) -> QuerySet[Transfer]:
    return Transfer.objects.filter(client=client).select_related("connection")


def transfers_of_record(*, record: models.Model) -> list[Transfer]:
    """The transfers of one of the client's records, newest first."""
    content_type = ContentType.objects.get_for_model(record)
    transfers = transfers_of_client(client=record.client_id).filter(
        content_type=content_type, object_id=record.pk
    )
    return list(transfers.order_by("-created_at", "-pk"))


def transfer_status_of(*, record: models.Model) -> dict:
    """The object's external ids (per system) and its transfers, newest first."""
    content_type = ContentType.objects.get_for_model(record)
    links = ExternalLink.objects.filter(
        connection__client_id=record.client_id, content_type=content_type, object_id=record.pk
    ).select_related("connection")
    return {"links": list(links), "transfers": transfers_of_record(record=record)}
