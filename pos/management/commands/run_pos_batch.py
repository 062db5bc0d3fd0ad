"""`manage.py run_pos_batch <client> [--date YYYY-MM-DD]`: send one client's POS batch now."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounting.management.clients import client_argument
from pos.batch import pos_batch_run, pos_business_date
from pos.exceptions import PosError


class Command(BaseCommand):
    help = (
        "Build and send the POS invoice-sales batch of one client (id, organization number or "
        "name) for a business date (default: the last closed business day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("client", help="Client id, organization number or exact name.")
        parser.add_argument("--date", help="Business date, YYYY-MM-DD.")

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        business_date = (
            _date(options["date"]) if options["date"] else pos_business_date(at=timezone.now())
        )
        try:
            batch = pos_batch_run(client=client, business_date=business_date)
        except PosError as err:
            raise CommandError(str(err)) from err
        self.stdout.write(
            f"{batch}: {batch.sales_total} sales, {batch.sales_sent} sent, "
            f"{batch.sales_failed} failed ({batch.get_status_display()})."
        )
        for sale in batch.sales.filter(status="failed").order_by("number"):
            self.stdout.write(f"  {sale.label}: {sale.error}")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD).") from err
