"""The nightly POS batch: one PosBatch per (client, business date), sent as one POS_BATCH transfer.

`pos_batch_build()` claims every sale not yet sent, sold from the client's enabled-since date up
to the business date, into the batch and queues the batch's transfer (through the outbox, in the
same transaction). Calling it again for the same night is harmless: sent sales are never claimed
again, a pending transfer is reused, and the PowerOffice side sends each sale at most once (the
sale's ExternalImportReference guards a crash between the write and our bookkeeping).

The connector's batch exporter (integrations/poweroffice/pos.py) sends the sales, marks each
sent or failed through pos.services and closes the batch with `pos_batch_finish()`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import Client
from accounting.models.validation import business_date_bounds
from accounting.references import DocumentKind, document_reference
from integrations.outbox import (
    Operation,
    TransferKind,
    transfer_enqueue,
    transfers_pending,
    transfers_run_now,
)

from .exceptions import PosError
from .models import PosBatch, PosSale, PosSettings
from .selectors import pos_sales_due

#: A run before this hour (local time) belongs to the previous business day.
BUSINESS_DAY_CUTOFF_HOUR = 12


def pos_business_date(*, at: dt.datetime) -> dt.date:
    """The business date a nightly run at `at` closes: a run after midnight but before noon
    closes the previous day; a run from noon on closes the same day."""
    local = timezone.localtime(at)
    if local.hour < BUSINESS_DAY_CUTOFF_HOUR:
        return local.date() - dt.timedelta(days=1)
    return local.date()


def _settings_of(client: Client) -> PosSettings:
    pos_settings = PosSettings.objects.filter(client=client).first()
    if pos_settings is None:
        raise PosError(_("%(client)s has no POS settings.") % {"client": client},
                       field="client")
    return pos_settings


def _check_business_date(client: Client, business_date: dt.date) -> None:
    """A batch is for a business day that has begun and lies in the plausible range."""
    earliest, _latest = business_date_bounds()
    today = timezone.localdate()
    if not earliest <= business_date <= today:
        raise PosError(
            _("%(client)s: business date %(value)s is outside %(earliest)s – %(today)s.")
            % {"client": client, "value": business_date.isoformat(),
               "earliest": earliest.isoformat(), "today": today.isoformat()},
            field="business_date",
        )


@transaction.atomic
def pos_batch_build(*, client: Client, business_date: dt.date) -> PosBatch:
    """Get or create the client's batch for `business_date`, claim the sales still to send and
    queue the batch's transfer. Idempotent: a replay claims nothing already sent."""
    _check_business_date(client, business_date)
    pos_settings = _settings_of(client)
    batch, _created = PosBatch.objects.get_or_create(client=client, business_date=business_date)
    batch = PosBatch.objects.select_for_update().get(pk=batch.pk)
    if business_date >= pos_settings.enabled_since:
        pos_sales_due(
            client=client, since=pos_settings.enabled_since, until=business_date
        ).update(batch=batch, updated_at=timezone.now())
        _references_fix(batch)
    pending = batch.sales.exclude(status=PosSale.Status.SENT).count()
    batch.sales_total = batch.sales.count()
    if not pending:
        batch.status = PosBatch.Status.DONE
        batch.finished_at = batch.finished_at or timezone.now()
        batch.save()
        return batch
    transfers = transfer_enqueue(obj=batch, kind=TransferKind.POS_BATCH, operation=Operation.BATCH)
    if not transfers:
        raise PosError(
            _("%(client)s has no enabled PowerOffice Go connection to send POS sales to.")
            % {"client": client},
            field="client",
        )
    batch.status = PosBatch.Status.QUEUED
    batch.finished_at = None
    batch.save()
    return batch


def _references_fix(batch: PosBatch, chunk: int = 500) -> None:
    """Give each sale of the batch that has none its transfer reference, once."""
    unset = batch.sales.filter(transfer_reference="").only("pk", "number").order_by("pk")
    while sales := list(unset[:chunk]):
        for sale in sales:
            sale.transfer_reference = document_reference(
                client=batch.client, kind=DocumentKind.POS_SALE, number=sale.number
            )
        PosSale.objects.bulk_update(sales, ["transfer_reference"])


@transaction.atomic
def pos_batch_finish(*, batch: PosBatch) -> PosBatch:
    """Count the batch's sales by outcome and close it (done, or failed if any sale failed)."""
    batch = PosBatch.objects.select_for_update().get(pk=batch.pk)
    sales = batch.sales.all()
    batch.sales_total = sales.count()
    batch.sales_sent = sales.filter(status=PosSale.Status.SENT).count()
    batch.sales_failed = sales.filter(status=PosSale.Status.FAILED).count()
    batch.status = PosBatch.Status.FAILED if batch.sales_failed else PosBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def pos_batch_run(*, client: Client, business_date: dt.date) -> PosBatch:
    """Build the batch and send it now, in this process (the management command): the queued
    transfer is processed by the engine as the task queue would."""
    batch = pos_batch_build(client=client, business_date=business_date)
    transfers_run_now(transfers=transfers_pending(obj=batch, kind=TransferKind.POS_BATCH))
    batch.refresh_from_db()
    return batch
