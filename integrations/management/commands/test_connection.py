"""`python manage.py test_connection <client> [--system poweroffice]`: test a client's connections.

Authenticates and reads what the external system says about the client (for PowerOffice Go the
client name and each privilege the configured flows need), prints the result per connection and
stores it on the connection, as the admin's Test connection button does. Exits 1 if any failed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounting.management.clients import client_argument
from integrations.connections import connection_test
from integrations.models import Connection, System


class Command(BaseCommand):
    help = _("Test the connections of one client (organization number or name).")

    def add_arguments(self, parser):
        parser.add_argument("client", help=_("Organization number or name of the client."))
        parser.add_argument("--system", choices=System.values, help=_("Only this system."))

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        connections = Connection.objects.filter(client=client).select_related("client")
        if options["system"]:
            connections = connections.filter(system=options["system"])
        if not connections:
            raise CommandError(_("%(client)s has no connection to test.") % {"client": client})
        failed = 0
        for connection in connections.order_by("system"):
            result = connection_test(connection=connection)
            label = _("passed") if result.ok else _("FAILED")
            line = (
                f"{connection.get_system_display()} ({connection.mode}) {label}: {result.message}"
            )
            self.stdout.write(self.style.SUCCESS(line) if result.ok else self.style.ERROR(line))
            failed += 0 if result.ok else 1
        if failed:
            raise CommandError(ngettext("%(count)d connection test failed.",
                                        "%(count)d connection tests failed.", failed)
                               % {"count": failed})
