"""`manage.py reconcile <client> [--from YYYY-MM-DD --to YYYY-MM-DD] [--system poweroffice]`

Reconciles the client's connection(s) now (default period: the last 40 days) and prints the
counts per class and the page of each run. <client> is the client's id, organization number or
exact name. Thin: parses, calls `reconciliation_run()`, reports.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from integrations.models import Connection
from integrations.reconciliation.services import reconciliation_run


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from err


class Command(BaseCommand):
    help = "Compare what the accounting system holds with what was sent, for one client."

    def add_arguments(self, parser):
        parser.add_argument("client", help="client id, organization number or exact name")
        parser.add_argument("--from", dest="date_from", type=_date, default=None)
        parser.add_argument("--to", dest="date_to", type=_date, default=None)
        parser.add_argument("--system", default="", help="only this system (e.g. poweroffice)")

    def handle(self, *args, client, date_from, date_to, system, **options):
        from accounting.models import Client

        match = Q(organization_number=client) | Q(name=client)
        if client.isdigit():
            match |= Q(pk=int(client))
        clients = list(Client.objects.filter(match)[:2])
        if len(clients) != 1:
            raise CommandError(f"No single client matches {client!r}.")
        connections = Connection.objects.filter(client=clients[0])
        if system:
            connections = connections.filter(system=system)
        if not connections.exists():
            raise CommandError(f"{clients[0]} has no connection to reconcile.")
        for connection in connections.order_by("system"):
            try:
                run = reconciliation_run(connection=connection, date_from=date_from,
                                         date_to=date_to, started_by="manage.py reconcile")
            except ValueError as err:
                raise CommandError(str(err)) from err
            self._report(run)

    def _report(self, run) -> None:
        self.stdout.write(f"{run.connection}: {run.date_from} – {run.date_to}: "
                          f"{run.get_status_display()} ({run.api_calls} API calls)")  # fmt: skip
        for finding, count in sorted(run.counts.items()):
            self.stdout.write(f"  {finding}: {count}")
        if run.note:
            self.stdout.write(f"  {run.note}")
        self.stdout.write(f"  /admin/integrations/reconciliationrun/{run.pk}/change/")
