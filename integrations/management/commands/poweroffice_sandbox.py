"""Serve the PowerOffice Go v2 sandbox: `python manage.py poweroffice_sandbox --port 8001`.

Token at /OAuth/Token, API under /v2/, control API under /_sandbox/. Ctrl-C stops it. The
sandbox's default keys are printed so a sandbox-mode connection can be set up by hand.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from integrations.poweroffice import sandbox
from integrations.poweroffice.sandbox import persistence
from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
from integrations.poweroffice.sandbox.demo_products import demo_products_ensure
from integrations.sandbox.command import sandbox_persisted, state_file_arguments
from integrations.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = _("Run the local PowerOffice Go v2 sandbox (development, demo and tests only).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=0, help=_("Seed of the fault injector."))
        parser.add_argument(
            "--token-ttl", type=int, default=1200, help=_("Access token lifetime in seconds.")
        )
        parser.add_argument(
            "--rate-limit",
            type=float,
            default=10.0,
            help=_("Requests per second per subscription key; 0 turns the limit off."),
        )
        parser.add_argument(
            "--latency", type=float, default=0.0,
            help=_("Round trip of every request in seconds (half in, half back)."),
        )  # fmt: skip
        parser.add_argument(
            "--jitter", type=float, default=0.0,
            help=_("Each round trip varies by up to this many seconds either way."),
        )  # fmt: skip
        parser.add_argument(
            "--log-limit", type=int, default=10_000,
            help=_("Requests kept for GET /_sandbox/requests (the oldest are forgotten)."),
        )  # fmt: skip
        parser.add_argument("--verbose-requests", action="store_true", help=_("Log each request."))
        state_file_arguments(parser)

    def handle(self, *args, **options):
        config = SandboxConfig(
            token_ttl=options["token_ttl"], rate_limit=options["rate_limit"] or None
        )
        app = PowerOfficeSandbox(seed=options["seed"], config=config)
        app.faults.configure(latency=options["latency"], jitter=options["jitter"])
        app.log.limit = options["log_limit"]
        app = sandbox_persisted(app, system="poweroffice", persistence=persistence, options=options,
                                write=self.stdout.write)  # fmt: skip
        with app.lock:
            demo_products_ensure(app.books_for(sandbox.DEFAULT_CLIENT_KEY))
        server = SandboxServer(
            app, host=options["host"], port=options["port"], quiet=not options["verbose_requests"]
        )
        self.stdout.write(
            _(
                "PowerOffice sandbox at %(url)s (token %(url)s/OAuth/Token, API %(url)s/v2/) — "
                "Ctrl-C stops it."
            )
            % {"url": server.url}
        )
        self.stdout.write(
            _("Sandbox keys: application %(app)s, subscription %(sub)s, client %(client)s")
            % {
                "app": sandbox.DEFAULT_APPLICATION_KEY,
                "sub": sandbox.DEFAULT_SUBSCRIPTION_KEY,
                "client": sandbox.DEFAULT_CLIENT_KEY,
            }
        )
        server.serve_forever()
        self.stdout.write(_("PowerOffice sandbox stopped."))
