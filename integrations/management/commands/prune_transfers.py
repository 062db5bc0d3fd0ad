"""`manage.py prune_transfers --older-than 90d [--archive transfers.jsonl.gz]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.retention import duration_parse, transfers_prune


class Command(BaseCommand):
    help = _(
        "Delete succeeded, skipped and cancelled transfers (with their attempts) older than a "
        "given age, optionally archiving them first. Failed and pending transfers and external "
        "links are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", required=True, help=_("Age such as 90d, 12h or 2w.")
        )
        parser.add_argument(
            "--archive", type=Path, help=_("Append the pruned transfers to this .jsonl.gz file.")
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options):
        try:
            older_than = duration_parse(options["older_than"])
        except ValueError as err:
            raise CommandError(str(err)) from err
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        report = transfers_prune(
            older_than=older_than,
            archive_path=options["archive"],
            batch_size=options["batch_size"],
        )
        self.stdout.write(
            _("%(transfers)d transfers and %(attempts)d attempts created before %(cutoff)s "
              "deleted; %(archived)d archived.")
            % {
                "transfers": report.transfers,
                "attempts": report.attempts,
                "cutoff": report.cutoff.isoformat(timespec="seconds"),
                "archived": report.archived,
            }
        )
