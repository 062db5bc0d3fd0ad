from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounting.management.clients import client_argument
from integrations.retransfer import RETRANSFER_KINDS, records_retransfer


class Command(BaseCommand):
    help = _(
        "Send customers, projects or invoices and credit notes of one client to the accounting "
        "system again, whatever their state. Example: retransfer --client 999000118 --kind "
        "invoices --numbers 10023,10024"
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help=_("Organization number or id."))
        parser.add_argument("--kind", required=True, choices=list(RETRANSFER_KINDS))
        parser.add_argument("--numbers", required=True, help=_("Comma-separated numbers."))

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        report = records_retransfer(
            client=client, kind=options["kind"], numbers=options["numbers"], by=None
        )
        if report.queued:
            self.stdout.write(_("Queued: %(n)s") % {"n": ", ".join(report.queued)})
        if report.not_handled:
            self.stdout.write(
                _("No enabled connection transfers: %(n)s") % {"n": ", ".join(report.not_handled)}
            )
        if report.unknown:
            raise CommandError(_("Unknown numbers: %(n)s") % {"n": ", ".join(report.unknown)})
