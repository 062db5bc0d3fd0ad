from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.schedules import schedules_sync


class Command(BaseCommand):
    help = _("Create or update the declared Django-Q2 schedules (idempotent; others are kept).")

    def handle(self, *args, **options):
        report = schedules_sync()
        for outcome, names in report.items():
            for name in names:
                self.stdout.write(f"{outcome}: {name}")
