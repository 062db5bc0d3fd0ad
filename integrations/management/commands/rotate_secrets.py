from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.fields import encrypted_values_rotate


class Command(BaseCommand):
    help = _(
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS. Run after "
        "putting a new key first; remove the old key only afterwards."
    )

    def handle(self, *args, **options):
        count = encrypted_values_rotate()
        self.stdout.write(_("%(count)d rows re-encrypted with the newest key.") % {"count": count})
