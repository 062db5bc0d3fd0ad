"""`manage.py qcluster`: Django-Q2's task cluster, made to stop the way systemd stops it.

systemd (and `run_backoffice`) stops a service with SIGTERM to every process in it at once.
Django-Q2's own command does not survive that: its sentinel process resets SIGTERM to the
default action and dies on the spot, and the cluster's main process then waits for ever to wake
that dead sentinel (a multiprocessing Event it was waiting on), until systemd kills everything
90 s later; the workers die mid-transfer and their transfers stay "running".

This command starts the same cluster with SIGTERM blocked, a mask every process it forks
inherits: the sentinel, the pusher and the monitor stay alive and are stopped in order by the
main process. Each task worker takes SIGTERM back with its own handler (integrations.worker):
it puts the transfer it runs back to pending and exits. The main process forwards SIGTERM (and
Ctrl-C) to every worker, so a SIGTERM to the main process alone (systemd's KillMode=mixed,
`kill <pid>`) stops the cluster the same way.
"""

from __future__ import annotations

import os
import signal

import psutil
from django.conf import settings
from django_q.cluster import Cluster
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand

STOP_SIGNALS = {signal.SIGTERM}


class Command(DjangoQClusterCommand):
    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018 - signing needs it; fail before starting anything
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            cluster = Cluster()
            cluster.start()
            stopper = ClusterStopper(cluster)
            signal.signal(signal.SIGTERM, stopper)
            signal.signal(signal.SIGINT, stopper)
        finally:
            # A SIGTERM that came while starting is delivered now, to the stopper.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if options.get("run_once", False):
            cluster.stop()
        # Like Django-Q2's command, return: the interpreter waits for the sentinel at exit.


class ClusterStopper:
    """Signal handler of the cluster's main process: tell the workers, then stop in order."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.stopping = False

    def __call__(self, signum, frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        for process in psutil.Process().children(recursive=True):
            try:
                process.send_signal(signal.SIGTERM)  # blocked in all but the task workers
            except psutil.NoSuchProcess:
                continue
        self.cluster.stop()
