from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from accounting.demo import demo_setup


class Command(BaseCommand):
    help = _("Load the demo client and the admin user (idempotent: safe to run again).")

    def handle(self, *args, **options):
        result = demo_setup()
        for line in result.lines:
            self.stdout.write(str(line))
        self.stdout.write(
            self.style.SUCCESS(_("Demo client: %(name)s") % {"name": result.client.name})
        )
        self.stdout.write(
            _("Admin login: user %(user)s, password %(password)s")
            % {"user": result.admin_username, "password": result.admin_password}
        )
