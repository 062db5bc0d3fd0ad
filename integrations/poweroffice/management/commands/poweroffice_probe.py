"""`python manage.py poweroffice_probe --client <org no>`: ask PowerOffice Go's demo environment
what its documentation leaves open, and write the answers as a report (JSON and text).

Runs the fixed script of `integrations.poweroffice.probe` against the client's PowerOffice Go
connection (demo mode; sandbox mode for trying it out). A production connection is refused
unless --i-understand-this-writes-to-production is given: the probe posts vouchers. The report
lands in --output (default ./poweroffice-probe-reports); send the JSON to the maintainers.
Exits 1 when the script stopped early (the report still says why).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounting.management.clients import CLIENT_ARGUMENT_HELP, client_argument
from integrations.errors import ConnectionMisconfigured
from integrations.models import Connection, System
from integrations.poweroffice.probe import poweroffice_probe_run, report_write

DEFAULT_OUTPUT = "poweroffice-probe-reports"


class Command(BaseCommand):
    help = _(
        "Probe PowerOffice Go's demo environment with a fixed script (throw-away customer, "
        "invoice, credit note, repeated post, reads, PDF, clean-up) and write a report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help=CLIENT_ARGUMENT_HELP)
        parser.add_argument(
            "--output",
            default=DEFAULT_OUTPUT,
            help=_("Directory for the report files (created if missing)."),
        )
        parser.add_argument(
            "--i-understand-this-writes-to-production",
            action="store_true",
            dest="allow_production",
            help=_("Allow a production connection: the probe posts and reverses vouchers."),
        )

    def handle(self, *args, **options):
        client = client_argument(options["client"])
        connection = (
            Connection.objects.filter(client=client, system=System.POWEROFFICE)
            .select_related("client")
            .first()
        )
        if connection is None:
            raise CommandError(
                _("%(client)s has no PowerOffice Go connection.") % {"client": client}
            )
        try:
            report = poweroffice_probe_run(
                connection=connection, allow_production=options["allow_production"]
            )
        except ConnectionMisconfigured as err:
            raise CommandError(str(err)) from err
        json_path, text_path = report_write(report, Path(options["output"]))
        self.stdout.write(report.to_text())
        self.stdout.write(
            _("Report written to %(json)s and %(text)s. Send the JSON file to the maintainers.")
            % {"json": json_path, "text": text_path}
        )
        if report.stopped_at:
            raise CommandError(
                _("The probe stopped after %(question)s: %(reason)s")
                % {"question": report.stopped_at, "reason": report.stop_reason}
            )
