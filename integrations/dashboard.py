"""The health dashboard on the admin index: per client and system, what moved and what is stuck.

`dashboard_rows()` turns the one aggregate query (`transfers_health`) and one query for the
latest nightly POS batches into rows for the template: counts with links into the filtered sync
log, the oldest pending transfer, and the geometry of a server-rendered SVG bar chart (no
JavaScript, no CDN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import System
from .selectors import HEALTH_STATES, transfers_health

BAR_WIDTH = 220  # px of the longest bar
COLOURS = {"succeeded": "#2e7d32", "failed": "#ba2121", "pending": "#e0a800"}
LABELS = {"succeeded": _("succeeded"), "failed": _("failed"), "pending": _("pending")}
WINDOWS = {"day": _("24 h"), "month": _("30 days")}
#: Column of `created_at` in the sync log's list_display (1-based), for "oldest first".
CREATED_COLUMN = 1


@dataclass
class Segment:
    state: str
    label: str
    count: int
    url: str
    x: int = 0
    width: int = 0
    colour: str = ""


@dataclass
class Bar:
    window: str
    label: str
    y: int
    segments: list[Segment] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.segments)


@dataclass
class DashboardRow:
    client_id: int
    client: str
    system: str
    system_label: str
    bars: list[Bar]
    oldest_pending: datetime | None
    oldest_pending_url: str
    pos_batch: object | None = None
    waiting_disabled: int = 0  # pending transfers that wait for the connection to be enabled


def sync_log_url(**params) -> str:
    """The sync log (Transfer changelist) filtered by the given admin query parameters."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("admin:integrations_transfer_changelist") + (f"?{query}" if query else "")


def _segment(row: dict, window: str, state: str, since: datetime) -> Segment:
    statuses = HEALTH_STATES[state]
    status_param = {"status__exact": statuses[0]} if len(statuses) == 1 else {
        "status__in": ",".join(statuses)}
    url = sync_log_url(
        client__id__exact=row["client_id"], connection__system__exact=row["system"],
        created_at__gte=since.isoformat(timespec="seconds"), **status_param,
    )  # fmt: skip
    return Segment(state, str(LABELS[state]), row[f"{window}_{state}"], url,
                   colour=COLOURS[state])  # fmt: skip


def _scale(rows: list[DashboardRow]) -> None:
    """Bar lengths relative to the largest total of the same window over all rows."""
    for index in range(len(WINDOWS)):
        largest = max((row.bars[index].total for row in rows), default=0) or 1
        for row in rows:
            x = 0
            for segment in row.bars[index].segments:
                segment.x = x
                segment.width = round(BAR_WIDTH * segment.count / largest)
                if segment.count and not segment.width:
                    segment.width = 1  # a single failure must stay visible
                x += segment.width


def dashboard_rows(*, now: datetime | None = None) -> list[DashboardRow]:
    from pos.selectors import pos_batches_latest

    now = now or timezone.now()
    since = {"day": now - timedelta(hours=24), "month": now - timedelta(days=30)}
    health = transfers_health(now=now)
    batches = pos_batches_latest(client_ids={row["client_id"] for row in health})
    rows = []
    for row in health:
        bars = [
            Bar(window, str(label), y=4 + 18 * i,
                segments=[_segment(row, window, state, since[window]) for state in HEALTH_STATES])
            for i, (window, label) in enumerate(WINDOWS.items())
        ]  # fmt: skip
        pending_url = sync_log_url(
            client__id__exact=row["client_id"], connection__system__exact=row["system"],
            status__exact="pending", o=CREATED_COLUMN,
        )  # fmt: skip
        label = System(row["system"]).label if row["system"] in System.values else row["system"]
        rows.append(DashboardRow(
            row["client_id"], row["client"], row["system"], str(label), bars,
            row["oldest_pending"], pending_url,
            batches.get(row["client_id"]) if row["system"] == System.POWEROFFICE else None,
            row["waiting_disabled"],
        ))  # fmt: skip
    _scale(rows)
    return rows


def dashboard_totals(rows: list[DashboardRow]) -> dict[str, dict[str, int]]:
    """System-wide sums: window -> state -> count."""
    totals = {window: dict.fromkeys(HEALTH_STATES, 0) for window in WINDOWS}
    for row in rows:
        for bar in row.bars:
            for segment in bar.segments:
                totals[bar.window][segment.state] += segment.count
    return totals
