"""Stopping the task cluster the way systemd does: SIGTERM to its whole process group while a
worker waits on a slow PowerOffice Go answer. The cluster (`manage.py qcluster`, real processes
on a database file of their own) must be gone well within systemd's grace period, and the
transfer it ran must be pending again, not "running" until the reaper comes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
from integrations.sandbox.server import SandboxServer

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

#: systemd's default TimeoutStopSec is 90 s; the cluster must stop far sooner.
GRACE_SECONDS = 20
SANDBOX_LATENCY = 60.0  # every answer takes a minute: the transfer is surely in flight

SETUP = """
from integrations.models import Connection, System
from integrations.outbox import TransferKind, transfer_enqueue
from integrations.poweroffice import sandbox
from tests.factories import CustomerFactory
from tests.factories.integrations import ConnectionFactory

connection = ConnectionFactory(system=System.POWEROFFICE,
                               secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY})
customer = CustomerFactory(client=connection.client, number=10001)
[transfer] = transfer_enqueue(obj=customer, kind=TransferKind.CUSTOMER)
print(transfer.pk)
"""


def manage(env, *args, **kwargs):
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, check=True,
        capture_output=True, text=True, timeout=120, **kwargs,
    )  # fmt: skip


def row(db_file: Path, sql: str, *params):
    with sqlite3.connect(db_file, timeout=20) as db:
        return db.execute(sql, params).fetchone()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def slow_sandbox():
    app = PowerOfficeSandbox(config=SandboxConfig(rate_limit=None))
    app.faults.config.latency = SANDBOX_LATENCY
    with SandboxServer(app) as server:
        yield server


@pytest.fixture
def cluster_env(tmp_path, slow_sandbox):
    db_file = tmp_path / "cluster.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "POWEROFFICE_SANDBOX_URL": slow_sandbox.url,
        "Q_WORKERS": "2",
        "Q_SYNC": "false",
        "DEBUG": "true",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    return env, db_file


@pytest.mark.parametrize("target", ["process group", "main process"])
def test_sigterm_stops_the_cluster_within_its_grace_period_and_releases_its_transfer(
    cluster_env, tmp_path, target
):
    """systemd's default KillMode sends SIGTERM to the whole group; KillMode=mixed and a plain
    `kill <pid>` send it to the main process only."""
    env, db_file = cluster_env
    log = (tmp_path / "cluster.log").open("w")
    cluster = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        transfer_id = int(manage(env, "shell", "-c", SETUP).stdout.split()[-1])
        wait_for(
            lambda: row(db_file, "SELECT status, heartbeat_at IS NOT NULL FROM "
                        "integrations_transfer WHERE id = ?", transfer_id) == ("running", 1),
            timeout=30, what="a worker to claim the transfer (with a heartbeat)",
        )  # fmt: skip
        time.sleep(1.0)  # the worker now waits on the sandbox's answer

        stopped_at = time.monotonic()
        if target == "process group":
            os.killpg(cluster.pid, signal.SIGTERM)
        else:
            os.kill(cluster.pid, signal.SIGTERM)
        cluster.wait(timeout=GRACE_SECONDS)
        wait_for(lambda: not group_alive(cluster.pid), timeout=5, what="every worker to exit")
        took = time.monotonic() - stopped_at
    finally:
        if cluster.poll() is None or group_alive(cluster.pid):
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
        log.close()

    print(f"cluster stopped {took:.1f} s after SIGTERM to its {target}")  # noqa: T201
    assert took < GRACE_SECONDS
    status, attempts, last_error = row(
        db_file, "SELECT status, attempts, last_error FROM integrations_transfer WHERE id = ?",
        transfer_id,
    )  # fmt: skip
    assert (status, attempts) == ("pending", 0)
    assert "stopped" in last_error
    assert row(
        db_file, "SELECT outcome, error FROM integrations_transferattempt WHERE transfer_id = ?",
        transfer_id,
    )[0] == "error"  # fmt: skip
