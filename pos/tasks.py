"""Django-Q2 entry points of the pos app. Thin: parse, call the batch service, return counts."""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .batch import pos_batch_build, pos_business_date
from .exceptions import PosError
from .selectors import pos_settings_enabled

logger = logging.getLogger(__name__)


def pos_nightly_batches_run(client_id: int | None = None, intended_at: str | None = None) -> dict:
    """Build (and queue) tonight's batch of one client (its schedule passes client_id) or of
    every enabled client. `intended_at` is the schedule's intended run time (ISO)."""
    at = (parse_datetime(intended_at) if intended_at else None) or timezone.now()
    business_date = pos_business_date(at=at)
    counts = {"batches": 0, "sales": 0, "errors": 0}
    settings = pos_settings_enabled()
    if client_id is not None:
        settings = settings.filter(client_id=client_id)
    for pos_settings in settings:
        try:
            batch = pos_batch_build(client=pos_settings.client, business_date=business_date)
        except PosError as err:
            logger.error("POS batch of %s not built: %s", pos_settings.client, err)
            counts["errors"] += 1
            continue
        counts["batches"] += 1
        counts["sales"] += batch.sales_total
    return counts
