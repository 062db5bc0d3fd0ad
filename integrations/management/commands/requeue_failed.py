from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounting.models import Client
from integrations.engine import transfers_requeue_failed
from integrations.models import TransferKind


class Command(BaseCommand):
    help = _("Re-queue failed transfers, optionally of one client and/or one kind.")

    def add_arguments(self, parser):
        parser.add_argument("--client", help=_("Organization number or name of the client."))
        parser.add_argument("--kind", choices=TransferKind.values)

    def handle(self, *args, **options):
        client = self._client(options["client"]) if options["client"] else None
        count = transfers_requeue_failed(client=client, kind=options["kind"])
        self.stdout.write(_("%(count)d failed transfers re-queued.") % {"count": count})

    def _client(self, value: str) -> Client:
        matches = list(Client.objects.filter(organization_number=value)) or list(
            Client.objects.filter(name__iexact=value)
        )
        if len(matches) != 1:
            raise CommandError(
                _("No single client has the organization number or name “%(value)s”.")
                % {"value": value}
            )
        return matches[0]
