from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.schedules import schedules_sync_all


class Command(BaseCommand):
    help = _(
        "Create or update the declared and per-record Django-Q2 schedules (idempotent; "
        "schedules it does not know are kept)."
    )

    def handle(self, *args, **options):
        report = schedules_sync_all()
        for outcome, names in report.items():
            for name in names:
                self.stdout.write(f"{outcome}: {name}")
