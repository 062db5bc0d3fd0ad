"""Start the whole back office in the foreground: web server, task cluster and local sandboxes.

`make run` calls this after migrating and loading the demo data. Ctrl-C (or SIGTERM) stops every
process cleanly; if one of them dies, the others are stopped too and the command fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

#: How long the services get to stop after SIGTERM before they are killed (the task cluster
#: needs a few seconds: its workers put their transfers back to pending first).
STOP_GRACE_SECONDS = 30


@dataclass
class Service:
    name: str
    args: list[str]
    process: subprocess.Popen | None = None


class Command(BaseCommand):
    help = _("Run the web server, the Django-Q2 cluster and the local sandboxes together.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--poweroffice-port", type=int, default=8001)
        parser.add_argument("--azets-port", type=int, default=8002)
        parser.add_argument("--no-sandbox", action="store_true", help=_("Do not start sandboxes."))

    def handle(self, *args, **options):
        if "integrations_schedules_sync" in get_commands():
            call_command("integrations_schedules_sync")
        services = self.services(options)
        self._stopping = False
        # Ctrl-C and SIGTERM both ask for an orderly stop (also when started without a terminal).
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        try:
            for service in services:
                # Own session: Ctrl-C reaches only this command, which stops the children in order.
                service.process = subprocess.Popen(service.args, start_new_session=True)  # noqa: S603
                self.stdout.write(f"started {service.name} (pid {service.process.pid})")
            self.stdout.write(
                self.style.SUCCESS(
                    _("Back office at http://%(host)s:%(port)s/admin/ — Ctrl-C stops everything.")
                    % {"host": options["host"], "port": options["port"]}
                )
            )
            failed = self.watch(services)
        except KeyboardInterrupt:
            failed = None
        finally:
            self.stop(services)
        if failed:
            self.stderr.write(
                _("%(name)s stopped unexpectedly; everything was shut down.") % {"name": failed}
            )
            sys.exit(1)

    def services(self, options) -> list[Service]:
        manage = [sys.executable, "manage.py"]
        commands = get_commands()
        services = [
            Service(
                "web", [*manage, "runserver", f"{options['host']}:{options['port']}", "--noreload"]
            ),
            Service("task cluster", [*manage, "qcluster"]),
        ]
        if not options["no_sandbox"]:
            for name, port in (
                ("poweroffice", options["poweroffice_port"]),
                ("azets", options["azets_port"]),
            ):
                if f"{name}_sandbox" in commands:
                    services.append(
                        Service(
                            f"{name} sandbox", [*manage, f"{name}_sandbox", "--port", str(port)]
                        )
                    )
        return services

    def watch(self, services: list[Service]) -> str | None:
        while not self._stopping:
            for service in services:
                if service.process and service.process.poll() is not None:
                    return service.name
            time.sleep(0.5)
        return None

    def _on_stop_signal(self, signum, frame):
        self._stopping = True

    def stop(self, services: list[Service]) -> None:
        # A second Ctrl-C must not cut the shutdown short and leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        running = [s for s in services if s.process and s.process.poll() is None]
        # Each service runs in its own session: signal its whole process group, as systemd
        # does, so a cluster's workers are told too and nothing is left behind.
        for service in running:
            _signal_group(service.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(service.process, signal.SIGKILL)
                service.process.wait()
            self.stdout.write(f"stopped {service.name}")


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # started with start_new_session: pgid == pid
    except ProcessLookupError:
        pass  # already gone
