"""Retention of the sync log: archive and delete old transfers that need nothing more.

Only finished transfers that ended well or were given up on purpose are pruned (succeeded,
skipped, cancelled); failed, pending and running ones stay until someone acts on them.
`ExternalLink` rows are independent of transfers and are never touched: they are what keeps
the next export an update rather than a duplicate.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from .models import Transfer, TransferAttempt, TransferStatus

PRUNABLE = (TransferStatus.SUCCEEDED, TransferStatus.SKIPPED, TransferStatus.CANCELLED)
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "w": "weeks"}


@dataclass
class PruneReport:
    transfers: int = 0
    attempts: int = 0
    archived: int = 0
    cutoff: datetime | None = None


def duration_parse(text: str) -> timedelta:
    """ "90d" / "12h" / "2w" -> timedelta; ValueError with the accepted forms otherwise."""
    match = _DURATION_RE.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 90d, 12h or 2w.")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def transfers_prunable(*, cutoff: datetime):
    return Transfer.objects.filter(status__in=PRUNABLE, created_at__lt=cutoff)


def _archive_row(transfer: Transfer, attempts: list[TransferAttempt]) -> str:
    row = model_to_dict(transfer, exclude=["content_type"])
    row.update(
        id=transfer.pk,
        content_type=transfer.content_type.natural_key() if transfer.content_type_id else None,
        created_at=transfer.created_at,
        attempts_log=[model_to_dict(a, exclude=["transfer"]) | {"started_at": a.started_at}
                      for a in attempts],
    )  # fmt: skip
    return json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"


@transaction.atomic
def _prune_batch(ids: list[int], cutoff: datetime, archive) -> tuple[int, int, int]:
    """Lock, archive and delete one batch; rows that changed status meanwhile are left."""
    batch = list(
        transfers_prunable(cutoff=cutoff).filter(pk__in=ids).select_for_update(of=("self",))
        .select_related("content_type")
    )  # fmt: skip
    pks = [t.pk for t in batch]
    attempts: dict[int, list[TransferAttempt]] = {pk: [] for pk in pks}
    for attempt in TransferAttempt.objects.filter(transfer_id__in=pks).order_by("number"):
        attempts[attempt.transfer_id].append(attempt)
    if archive is not None:
        archive.writelines(_archive_row(t, attempts[t.pk]) for t in batch)
        archive.flush()
    attempt_count, _ = TransferAttempt.objects.filter(transfer_id__in=pks).delete()
    transfer_count, _ = Transfer.objects.filter(pk__in=pks).delete()
    return transfer_count, attempt_count, len(batch) if archive is not None else 0


def transfers_prune(
    *,
    older_than: timedelta,
    archive_path: Path | None = None,
    batch_size: int = 1000,
    now: datetime | None = None,
) -> PruneReport:
    """Delete succeeded, skipped and cancelled transfers created before now - older_than, with
    their attempts, in batches of `batch_size` (each its own transaction). With `archive_path`,
    each transfer and its attempts are first appended to that gzip-compressed JSON Lines file."""
    report = PruneReport(cutoff=(now or timezone.now()) - older_than)
    archive = gzip.open(archive_path, "at", encoding="utf-8") if archive_path else None
    try:
        while True:
            ids = list(
                transfers_prunable(cutoff=report.cutoff).order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )  # fmt: skip
            if not ids:
                return report
            transfers, attempts, archived = _prune_batch(ids, report.cutoff, archive)
            report.transfers += transfers
            report.attempts += attempts
            report.archived += archived
    finally:
        if archive is not None:
            archive.close()
