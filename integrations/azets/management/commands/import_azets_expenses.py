"""Queue the Azets expense import of one client now: `manage.py import_azets_expenses <client>`
(organisation number or name), optionally `--since 2025-01-01`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounting.management.clients import client_argument
from integrations.azets.services import azets_expense_imports_queue


class Command(BaseCommand):
    help = _("Queue the Azets expense import of one client now.")

    def add_arguments(self, parser):
        parser.add_argument("client", help=_("Organization number or name of the client."))
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help=_("Fetch expenses from this date (YYYY-MM-DD)."),
        )

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        transfers = azets_expense_imports_queue(client=client, since=options["since"])
        if not transfers:
            raise CommandError(
                _("%(client)s has no enabled Azets connection with expense import switched on.")
                % {"client": client}
            )
        for transfer in transfers:
            transfer.refresh_from_db()
            self.stdout.write(
                _("Expense import %(id)s: %(status)s %(result)s")
                % {
                    "id": transfer.pk,
                    "status": transfer.get_status_display(),
                    "result": transfer.result or "",
                }
            )
