"""A run's findings as a table (CSV or XLSX through tablib, which django-import-export uses)."""

from __future__ import annotations

import tablib
from django.utils.translation import gettext as _

from .models import ReconciliationRun


def reconciliation_dataset(*, run: ReconciliationRun) -> tablib.Dataset:
    """One row per finding, in the page's order."""
    headers = [_("class"), _("what"), _("number"), _("reference"), _("external id"),
               _("differences"), _("detail"), _("transfer")]  # fmt: skip
    data = tablib.Dataset(headers=headers, title=str(_("Reconciliation"))[:31])
    items = run.items.order_by("finding", "number", "pk").select_related("transfer")
    for item in items.iterator(chunk_size=2000):
        differences = "; ".join(f"{name}: {ours} / {theirs}" for name, ours, theirs in
                                item.differences or [])  # fmt: skip
        data.append([
            str(item.get_finding_display()), item.what, item.number, item.reference,
            item.external_id, differences, item.detail, item.transfer_id or "",
        ])  # fmt: skip
    return data


def reconciliation_export(*, run: ReconciliationRun, file_format: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the run's findings as "csv" or "xlsx"."""
    data = reconciliation_dataset(run=run)
    name = f"reconciliation-{run.client.pk}-{run.date_from}-{run.date_to}-{run.pk}"
    if file_format == "xlsx":
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return data.export("xlsx"), xlsx, f"{name}.xlsx"
    if file_format == "csv":
        return data.export("csv").encode("utf-8-sig"), "text/csv; charset=utf-8", f"{name}.csv"
    raise ValueError(f"Unknown format {file_format!r}; use csv or xlsx.")
