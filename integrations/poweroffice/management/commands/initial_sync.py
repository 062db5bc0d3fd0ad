"""`python manage.py initial_sync <client> [--what products,units,suppliers,customers]`: read
registers from PowerOffice Go into the client now (a Transfer in the sync log, run in this
process), matching by number and reporting what was created, updated and skipped."""

from django.utils.translation import gettext as _

from integrations.models import TransferKind
from integrations.poweroffice.initial_sync import REGISTERS
from integrations.poweroffice.management.base import ImportCommand


class Command(ImportCommand):
    help = _("Read products, units, suppliers and customers from PowerOffice Go into a client.")
    kind = TransferKind.INITIAL_SYNC

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--what",
            default=",".join(REGISTERS),
            help=_("Comma-separated registers to read (default: all of %(registers)s).")
            % {"registers": ",".join(REGISTERS)},
        )

    def extra_params(self, options) -> dict:
        return {"what": [w.strip() for w in options["what"].split(",") if w.strip()]}
