from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounting.management.clients import client_argument
from integrations.engine import transfers_requeue_failed
from integrations.models import TransferKind


class Command(BaseCommand):
    help = _("Re-queue failed transfers, optionally of one client and/or one kind.")

    def add_arguments(self, parser):
        parser.add_argument("--client", help=_("Organization number or name of the client."))
        parser.add_argument("--kind", choices=TransferKind.values)

    def handle(self, *args, **options):
        client = client_argument(options["client"]) if options["client"] else None
        count = transfers_requeue_failed(client=client, kind=options["kind"])
        self.stdout.write(ngettext("%(count)d failed transfer re-queued.",
                                   "%(count)d failed transfers re-queued.", count)
                          % {"count": count})
