"""Serve the Azets sandbox: `python manage.py azets_sandbox --port 8002` (Ctrl-C stops it).

API under /v1/parents/<S…>/clients/<digits>/, control API under /_sandbox/. The default
credentials and scope are printed so a sandbox-mode connection can be set up by hand.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.azets import sandbox
from integrations.azets.sandbox import persistence
from integrations.azets.sandbox.app import AzetsSandbox, SandboxConfig
from integrations.sandbox.command import sandbox_persisted, state_file_arguments
from integrations.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = _("Run the local Azets sandbox (development, demo and tests only).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8002)
        parser.add_argument("--seed", type=int, default=0, help=_("Seed of the fault injector."))
        parser.add_argument("--page-size", type=int, default=50,
                            help=_("Expenses per page of the feed."))
        parser.add_argument("--verbose-requests", action="store_true", help=_("Log each request."))
        state_file_arguments(parser)

    def handle(self, *args, **options):
        config = SandboxConfig(page_size=options["page_size"])
        app = AzetsSandbox(seed=options["seed"], config=config)
        app = sandbox_persisted(app, system="azets", persistence=persistence, options=options,
                                write=self.stdout.write)  # fmt: skip
        server = SandboxServer(
            app, host=options["host"], port=options["port"], quiet=not options["verbose_requests"]
        )
        self.stdout.write(
            _("Azets sandbox at %(url)s (API %(url)s/v1/parents/%(parent)s/clients/%(client)s/) "
              "— Ctrl-C stops it.")
            % {"url": server.url, "parent": sandbox.DEFAULT_PARENT_CLIENT_ID,
               "client": sandbox.DEFAULT_SOURCE_CLIENT_ID}
        )
        self.stdout.write(
            _("Sandbox API key: %(key)s (or username %(user)s, password %(password)s)")
            % {"key": sandbox.DEFAULT_API_KEY, "user": sandbox.DEFAULT_USERNAME,
               "password": sandbox.DEFAULT_PASSWORD}
        )
        server.serve_forever()
        self.stdout.write(_("Azets sandbox stopped."))
