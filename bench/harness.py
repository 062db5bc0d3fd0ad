"""What every bench needs to measure honestly (issue 19). Imported by the bench scripts only.

- `SandboxProcess`: the PowerOffice sandbox in its own process (`manage.py poweroffice_sandbox`)
  with the rate limit, round-trip latency and jitter of the run, so its work never shares this
  process's interpreter or clock; its request log and ledgers are read over HTTP.
- `StatementCounter`: counts every SQL statement on every connection this process opens (the
  engine's, each worker thread's), and the connections opened.
- `postgres_totals()`: the same across every process (task-cluster workers included), from
  PostgreSQL's own statistics: sessions opened (`pg_stat_database.sessions`) and statements
  (`pg_stat_statements`, when the server preloads it).
- `ApiTally`: answers of the run split into served and refused (429): the achieved rate counts
  only served requests.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxProcess:
    """`with SandboxProcess(rate=10, latency=0.1, jitter=0.02) as sandbox: ...`"""

    def __init__(self, *, rate: float, latency: float, jitter: float, port: int | None = None,
                 log_limit: int = 1_000_000) -> None:  # fmt: skip
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            *MANAGE, "poweroffice_sandbox", "--port", str(self.port), "--rate-limit", str(rate),
            "--latency", str(latency), "--jitter", str(jitter), "--log-limit", str(log_limit),
            # Books in memory only: saving them to a file after every write serializes the
            # sandbox (and would overwrite the books `make run` keeps).
            "--no-state-file",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> SandboxProcess:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "DATABASE_URL": "sqlite://:memory:"},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                self.control("state", method="GET")
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def control(self, command: str, data=None, method: str = "POST"):
        response = requests.request(
            method, f"{self.url}/_sandbox/{command}", json=data, timeout=120
        )
        response.raise_for_status()
        return response.json()

    def add_clients(self, keys: list[str]) -> None:
        self.control("config", {"clients": {k: {"name": f"Bench {i}"} for i, k in enumerate(keys)}})

    def requests(self) -> list[dict]:
        return self.control("requests", method="GET")

    def clear_requests(self) -> None:
        self.control("requests", method="DELETE")

    def books(self, client_key: str) -> dict:
        return self.control(f"books?client_key={client_key}", method="GET")


@dataclass
class ApiTally:
    """The sandbox's answers during the measured run."""

    log: list[dict]
    elapsed: float
    limit: float
    served: list[dict] = field(init=False)
    refused: list[dict] = field(init=False)

    def __post_init__(self) -> None:
        self.refused = [r for r in self.log if r["status"] == 429]
        self.served = [r for r in self.log if r["status"] != 429]

    @property
    def rate(self) -> float:
        """Served requests per second (429s excluded: they use no budget we can spend)."""
        return len(self.served) / self.elapsed if self.elapsed else 0.0

    def calls(self, *, tokens: bool = True) -> int:
        return sum(1 for r in self.served if tokens or "/oauth/token" not in r["path"].lower())

    def busy(self) -> tuple[float, float]:
        """(seconds from the first served request to the last, served requests per second
        over them): the sustained rate, without the run's start and end."""
        times = sorted(r["at"] for r in self.served)
        seconds = times[-1] - times[0] if len(times) > 1 else 0.0
        return seconds, ((len(times) - 1) / seconds if seconds else 0.0)

    def busiest_second(self) -> int:
        """The most served requests the sandbox saw in any one-second window."""
        times, best, start = sorted(r["at"] for r in self.served), 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def lines(self) -> list[str]:
        statuses = Counter(r["status"] for r in self.log)
        busy, busy_rate = self.busy()
        return [
            f"requests served            {len(self.served)} in {self.elapsed:.1f} s; statuses "
            f"{dict(sorted(statuses.items()))}",
            f"answered 429               {len(self.refused)} (not counted as achieved)",
            f"achieved rate / limit      {self.rate:.2f}/s / {self.limit:.2f}/s = "
            f"{self.rate / self.limit:.1%}; busiest one-second window {self.busiest_second()}",
            f"rate over the busy interval {busy_rate:.2f}/s / {self.limit:.2f}/s = "
            f"{busy_rate / self.limit:.1%} (first → last served request, {busy:.1f} s; "
            f"429s excluded: {len(self.refused)})",
        ]


class StatementCounter:
    """Counts statements and new connections on every connection this process opens from now on
    (and those already open). Thread-safe; `snapshot()` returns (statements, connections)."""

    def __init__(self) -> None:
        self._statements = itertools.count()
        self._connections = itertools.count()
        self._lock = threading.Lock()
        self.statements = self.connections = 0
        self.shapes: Counter | None = None  # statement texts, when profiling

    def profile(self) -> StatementCounter:
        """Also count each statement's text (without parameters): `top()` then lists them."""
        self.shapes = Counter()
        return self

    def top(self, n: int = 30) -> list[tuple[str, int]]:
        return self.shapes.most_common(n) if self.shapes is not None else []

    def __call__(self, execute, sql, params, many, context):
        with self._lock:
            self.statements += 1
            if self.shapes is not None:
                self.shapes[" ".join(sql.split())[:160]] += 1
        return execute(sql, params, many, context)

    def _attach(self, connection) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def _created(self, sender, connection, **kwargs) -> None:
        with self._lock:
            self.connections += 1
        self._attach(connection)

    def install(self) -> StatementCounter:
        from django.db import connections
        from django.db.backends.signals import connection_created

        connection_created.connect(self._created, weak=False)
        for connection in connections.all(initialized_only=True):
            self._attach(connection)
        _patch_new_wrappers(self)
        return self

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.statements, self.connections


def _patch_new_wrappers(counter: StatementCounter) -> None:
    """A connection object created later in another thread gets the counter before its first
    statement, even when it was connected before (Django connects lazily, so the signal covers
    new sessions; this covers wrappers reused across a reconnect)."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    original = BaseDatabaseWrapper.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.execute_wrappers.append(counter)

    BaseDatabaseWrapper.__init__ = init


def postgres_totals(database: str) -> tuple[int | None, int | None]:
    """(sessions opened, statements executed) on `database` so far, across every process;
    None where PostgreSQL does not keep the figure (statements need pg_stat_statements)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None, None
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database])
        row = cursor.fetchone()
        sessions = row[0] if row else None
        try:
            cursor.execute(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                [database],
            )
            statements = int(cursor.fetchone()[0])
        except Exception:  # noqa: BLE001 - not preloaded: the figure is simply unknown
            statements = None
    return sessions, statements


def database_touch(seconds: float = 0.5) -> None:
    """A task for a freshly started cluster (`async_task("bench.harness.database_touch")`): the
    worker that runs it opens its database session now, before a bench's clock starts, so the
    sessions counted within the clock are the product's, not the workers' start-up."""
    from django.db import connection

    connection.ensure_connection()
    time.sleep(seconds)


def statement_texts(database: str) -> dict[int, tuple[str, int]]:
    """pg_stat_statements per statement shape on `database`: {queryid: (text, calls)}; empty
    where the server does not preload it. Diff two snapshots to count a run's statements."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    found: dict[int, tuple[str, int]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.queryid, s.query, s.calls FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                [database],
            )
            for queryid, text, calls in cursor.fetchall():
                previous = found.get(queryid, ("", 0))[1]
                found[queryid] = (text, previous + int(calls))
    except Exception:  # noqa: BLE001 - not preloaded: the figures are simply unknown
        return {}
    return found


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def close_everything() -> None:
    """Forget the rate limiters and close this thread's connections, so a PostgreSQL test
    database can be dropped."""
    from django.db import connections

    from integrations.ratelimit import reset_rate_limiters

    reset_rate_limiters()
    connections.close_all()
