from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.engine import transfers_process_due


class Command(BaseCommand):
    help = _("Run every due transfer once, in this process (for cron or debugging).")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help=_("At most this many."))

    def handle(self, *args, **options):
        counts = transfers_process_due(limit=options["limit"])
        summary = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
        self.stdout.write(summary)
