"""`python manage.py import_expenses <client> [--days N]`: fetch the client's project costs from
PowerOffice Go now (a Transfer in the sync log, run in this process)."""

from django.utils.translation import gettext as _

from integrations.models import TransferKind
from integrations.poweroffice.management.base import ImportCommand


class Command(ImportCommand):
    help = _("Import expenses posted in PowerOffice Go on the client's projects.")
    kind = TransferKind.EXPENSE_IMPORT

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--days", type=int, help=_("Days back from today (default: the connection setting).")
        )

    def handle(self, *args, **options):
        options["full"] = True  # on demand: the whole window, whatever the watermark says
        return super().handle(*args, **options)
