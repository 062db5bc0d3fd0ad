"""Shared shape of `import_expenses` and `import_payments`: find the client, queue the import
for its PowerOffice Go connection, run it right here and report the sync-log counts.

Running it here is safe with a Django-Q2 cluster up: a transfer is claimed by one worker only,
so if the cluster got it first the command says it was queued and `process_transfers` or the
cluster finishes it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from accounting.management.clients import client_argument
from integrations.engine import transfer_process
from integrations.errors import DataError
from integrations.models import Transfer

from ..services import poweroffice_connections_of, poweroffice_import_enqueue

COUNTS = ("fetched", "created", "skipped", "failed")


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("client", help=_("Organization number or id of the client."))
        parser.add_argument(
            "--full", action="store_true", help=_("Ignore the last run's watermark; read all.")
        )
        parser.add_argument(
            "--queue-only",
            action="store_true",
            help=_("Only queue the import for the Django-Q2 cluster; do not run it here."),
        )

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        connections = poweroffice_connections_of(client=client)
        if not connections:
            raise CommandError(
                _("%(client)s has no enabled PowerOffice Go connection.") % {"client": client}
            )
        failed = 0
        for connection in connections:
            transfer = self.enqueue(connection, options)
            if not options["queue_only"]:
                transfer_process(transfer.pk)
            transfer.refresh_from_db()
            failed += self.report(transfer)
        if failed:
            raise CommandError(_("The import failed; see the sync log."))

    def enqueue(self, connection, options) -> Transfer:
        try:
            with transaction.atomic():
                return poweroffice_import_enqueue(
                    connection=connection,
                    kind=self.kind,
                    full=options["full"],
                    days=options.get("days"),
                    **self.extra_params(options),
                )
        except DataError as err:
            raise CommandError(err.message) from err

    def extra_params(self, options) -> dict:
        """Further keyword arguments for poweroffice_import_enqueue (e.g. `what`)."""
        return {}

    def report(self, transfer: Transfer) -> int:
        result = transfer.result or {}
        counts = ", ".join(f"{name}: {result.get(name, 0)}" for name in COUNTS)
        line = f"{transfer.get_kind_display()} #{transfer.pk} {transfer.get_status_display()}"
        line = f"{line} ({counts})" if result else line
        failed = transfer.status == "failed"
        self.stdout.write(self.style.ERROR(line) if failed else self.style.SUCCESS(line))
        for name, counts in (result.get("registers") or {}).items():
            self.stdout.write(
                f"  {name}: " + ", ".join(f"{k}: {v}" for k, v in counts.items() if k != "fetched")
            )
        for error in result.get("errors", []):
            self.stdout.write(f"  {error}")
        if transfer.last_error and failed:
            self.stdout.write(f"  {transfer.last_error}")
        return int(failed)
