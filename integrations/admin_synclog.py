"""The sync log's list page at a million transfers: counting, the client filter and search.

- `SyncLogPaginator` never counts a million rows: the whole log is estimated from PostgreSQL's
  statistics ("about 1,000,000"), a filtered list is counted up to `COUNT_LIMIT` rows ("more
  than 20,000"), a search up to `SEARCH_COUNT_LIMIT`, and pages stop where counting stops.
- `ClientListFilter` lists the clients that have a connection, from the clients table (a few
  rows), instead of a DISTINCT over every transfer.
- `transfers_matching()` searches our number and the external system's id exactly (each has an
  index) and, for words, the object's description through the trigram index that migration
  0005 creates on PostgreSQL (SQLite scans).
"""

from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext

from accounting.models import Client

from .models import Connection

#: Filtered lists are counted up to this many rows; the pages end there too.
COUNT_LIMIT = 20_000
#: A search is counted only this far (20 pages): past that, more words serve better than pages.
SEARCH_COUNT_LIMIT = 1_000
#: Words shorter than this cannot use a trigram index; they match numbers and ids exactly only.
FREE_TEXT_MIN_LENGTH = 3


def table_estimated_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows in the queryset's table (kept by ANALYZE and
    autovacuum); None elsewhere or when the table was never analysed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class SyncLogPaginator(Paginator):
    """Counts only as far as a person reads. `count_label` says how the count was reached."""

    count_limit = COUNT_LIMIT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_is = "exact"  # or "estimate", or "more" (more than count_limit)

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = table_estimated_rows(queryset)
            if estimate is not None and estimate > self.count_limit:
                self.count_is = "estimate"
                return estimate
        counted = queryset.order_by().values("pk")[: self.count_limit + 1].count()
        if counted > self.count_limit:
            self.count_is = "more"
            return self.count_limit
        return counted

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, max(1, self.count_limit // self.per_page))

    @property
    def count_label(self) -> str:
        number = formats.number_format(self.count, force_grouping=True)
        if self.count_is == "estimate":
            return gettext("about %(count)s") % {"count": number}
        if self.count_is == "more":
            return gettext("more than %(count)s") % {"count": number}
        return number


def sync_log_paginator(request, queryset: QuerySet, per_page: int) -> SyncLogPaginator:
    paginator = SyncLogPaginator(queryset, per_page)
    if request.GET.get(SEARCH_VAR, "").strip():
        paginator.count_limit = SEARCH_COUNT_LIMIT
    return paginator


class ClientListFilter(admin.RelatedFieldListFilter):
    """Clients with a connection, read from the clients table."""

    def field_choices(self, field, request, model_admin):
        clients = Client.objects.filter(pk__in=Connection.objects.values("client_id"))
        return list(clients.order_by("name").values_list("pk", "name"))


def transfers_matching(queryset: QuerySet, term: str) -> QuerySet:
    """Transfers whose number (ours) or external id is the term, or, for a term with letters,
    whose description contains it. Each branch has its own index; none scans the log."""
    term = term.strip()
    if not term:
        return queryset
    matches = Q(object_number=term) | Q(external_id=term)
    if len(term) >= FREE_TEXT_MIN_LENGTH and not term.isdigit():
        matches |= Q(object_repr__icontains=term)
    return queryset.filter(matches)
