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
from integrations.sandbox.persistence import PersistedSandbox, state_file
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
        parser.add_argument(
            "--state-file", default=None,
            help=_("JSON file the sandbox keeps its books in across restarts (default: a "
                   "sandbox-SYSTEM.json file beside the database)."),
        )
        parser.add_argument(
            "--no-state-file", action="store_true",
            help=_("Keep the books in memory only: start empty, forget them when stopped."),
        )

    def handle(self, *args, **options):
        config = SandboxConfig(page_size=options["page_size"])
        app = AzetsSandbox(seed=options["seed"], config=config)
        if not options["no_state_file"]:
            path = options["state_file"] or state_file("azets")
            app = PersistedSandbox(app, path, dump=persistence.dump, load=persistence.load)
            message = (_("Books kept in %(path)s (loaded from it).") if app.loaded
                       else _("Books kept in %(path)s (a new file)."))
            self.stdout.write(message % {"path": path})
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
