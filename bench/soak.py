"""Soak: mixed load through real task-cluster workers against a faulty PowerOffice Go sandbox,
every cluster SIGKILLed several times while a voucher post is in flight; then what the sandbox
STORED is compared with what the database believes. Prints figures; stops by itself.

    .venv/bin/python bench/soak.py --sandbox-port 8581            # 3 minutes, SQLite
    .venv/bin/python bench/soak.py --duration 90 --duplicates refuse_plain --drop-rate 0.3
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/soak .venv/bin/python bench/soak.py \\
        --use-database-url                                        # PostgreSQL (flushed)

Processes: the PowerOffice sandbox (`manage.py poweroffice_sandbox`, on 127.0.0.1 and
`--sandbox-port`), `--clusters` task clusters (`manage.py qcluster`, `--workers` each, ORM broker)
and this driver, which creates the load, runs the sweep every 2 s (as the scheduler would) and
switches faults on: latency, 500s, 429s, a 429 and a 500 storm, every token expired mid-run, and
answers dropped after the write was stored (`--drop-rate`).

The sandbox behaves as chosen per run for what PowerOffice Go's documentation leaves open:
`--duplicates accept` (default and harshest: a second voucher with the same reference is stored,
so a double would be visible) or `refuse_field` / `refuse_plain`; `--write-answer full` (default)
or `empty` / `no_id` / `not_json` (2xx answers without a usable Id).

In-flight kills: voucher posts are slow in the sandbox (`--voucher-latency`); `--kills` times a
run the driver watches the sandbox's requests in flight (`GET /_sandbox/inflight`) and, the moment
a voucher post is inside it, SIGKILLs every cluster's process group and restarts them
`--restart-delay` seconds later. The sandbox goes on to store that voucher with nobody left to
read the answer. Recovery time: from the kill until every transfer that was running at the kill
has finished (the reaper hands them back after `--running-timeout` seconds, which sets
INTEGRATIONS_RUNNING_TIMEOUT; 900 s in production). The next kill waits for that recovery.

Counted from the sandbox's books (every stored voucher and sales order, also those whose answer
was dropped), per client key: doubled (a reference stored more than once; target 0), lost (in
our database as sent, not stored; target 0), failed-but-posted (stored, but our transfer failed,
is still open or never bound it; target 0), stored but unknown to us (target 0). Plus throughput
and p50/p95 latency (queued → finished). The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MANAGE = [sys.executable, str(ROOT / "manage.py")]
HOST = "127.0.0.1"  # loopback only


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--drain", type=float, default=120, help="seconds to let the queue empty")
    parser.add_argument("--clusters", type=int, default=2, help="task clusters (qcluster)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per cluster")
    parser.add_argument("--clients", type=int, default=2, help="clients (client keys)")
    parser.add_argument("--wave", type=float, default=4.0, help="seconds between load waves")
    parser.add_argument("--invoices", type=int, default=2, help="invoices per client per wave")
    parser.add_argument("--rate", type=float, default=10.0, help="sandbox requests/s per key")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sandbox-port", type=int, default=0,
                        help="the sandbox's port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--duplicates", default="accept",
                        choices=["accept", "refuse_field", "refuse_plain"],
                        help="how the sandbox answers a repeated reference")
    parser.add_argument("--write-answer", default="full",
                        choices=["full", "empty", "no_id", "not_json"],
                        help="how the sandbox answers a stored create")
    parser.add_argument("--drop-rate", type=float, default=0.2,
                        help="share of stored writes whose answer is dropped")
    parser.add_argument("--kills", type=int, default=4,
                        help="SIGKILLs of every cluster while a voucher post is in flight")
    parser.add_argument("--voucher-latency", type=float, default=1.0,
                        help="seconds the sandbox takes over a voucher post")
    parser.add_argument("--restart-delay", type=float, default=1.0,
                        help="seconds between a kill and the clusters' restart")
    parser.add_argument("--running-timeout", type=int, default=20,
                        help="INTEGRATIONS_RUNNING_TIMEOUT: seconds before a dead run is reaped")
    parser.add_argument("--use-database-url", action="store_true",
                        help="use DATABASE_URL (PostgreSQL) instead of a temporary SQLite file; "
                             "it is flushed")
    args = parser.parse_args(argv)
    if args.running_timeout < 8:
        parser.error("--running-timeout must be at least 8 (a task's own timeout is 5 s less)")
    return args  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def configure_environment(args) -> str:
    """Environment shared by this driver and every child process."""
    if not args.use_database_url:
        path = Path(tempfile.mkdtemp(prefix="soak-")) / "soak.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    port = args.sandbox_port or free_port()
    task_timeout = args.running_timeout - 5  # the reaper must never take a task still running
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "POWEROFFICE_SANDBOX_URL": f"http://{HOST}:{port}",
        "POWEROFFICE_RATE_LIMIT": str(args.rate),
        "POWEROFFICE_APPLICATION_KEY": "",
        "POWEROFFICE_SUBSCRIPTION_KEY": "",
        "INTEGRATIONS_RATE_LIMIT_BACKEND": "database",
        "Q_WORKERS": str(args.workers),
        "Q_TIMEOUT": str(task_timeout),
        "Q_RETRY": str(task_timeout + 10),
        "INTEGRATIONS_RUNNING_TIMEOUT": str(args.running_timeout),
        "INTEGRATIONS_MAX_ATTEMPTS": "12",
        "INTEGRATIONS_BACKOFF_BASE": "2",
        "INTEGRATIONS_BACKOFF_CAP": "15",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "ERROR",
    })  # fmt: skip
    return os.environ["POWEROFFICE_SANDBOX_URL"]


def start(name: str, args: list[str], log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(  # noqa: S603 - fixed argv
        args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM, wait: float = 15) -> None:
    """Signal the process's whole group (a cluster's workers too) and wait for it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    if sig == signal.SIGKILL:
        try:  # workers still alive in the group (the parent died first): gone too
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Sandbox:
    def __init__(self, url: str):
        self.url = url

    def control(self, command: str, data=None, method="POST"):
        response = requests.request(method, f"{self.url}/_sandbox/{command}", json=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_ready(self) -> None:
        for _ in range(150):
            try:
                self.control("state", method="GET")
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the sandbox did not start")

    def books(self, client_key: str) -> dict:
        response = requests.get(
            f"{self.url}/_sandbox/books", params={"client_key": client_key}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def voucher_posts_in_flight(self) -> list[str]:
        """References of the voucher posts the sandbox is handling right now."""
        found = []
        for item in self.control("inflight", method="GET"):
            if item["method"] != "POST" or "/vouchers/" not in item["path"].lower():
                continue
            try:
                reference = json.loads(item["body"]).get("ExternalImportReference")
            except (ValueError, AttributeError):
                continue
            if reference:
                found.append(reference)
        return found


# ---------------------------------------------------------------------------------------------
# The world and the load (in this driver process)
# ---------------------------------------------------------------------------------------------
def setup_database(args) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if args.use_database_url:
        call_command("flush", interactive=False, verbosity=0)


def make_client(index: int, key: str, sandbox: Sandbox):
    from accounting.models import Account, Client, Customer, Project, VatCode
    from integrations.models import Connection, System
    from integrations.poweroffice.models import PowerOfficeSettings

    client = Client.objects.create(name=f"Soak {index} AS", organization_number=f"98{index:07d}")
    vat = VatCode.objects.create(client=client, code="3", name="High", rate=Decimal("25"))
    Account.objects.create(client=client, number=3000, name="Sales", vat_code=vat,
                           external_vat_code="3")  # fmt: skip
    Account.objects.create(client=client, number=4300, name="Purchases", external_vat_code="1")
    connection = Connection.objects.create(client=client, system=System.POWEROFFICE,
                                           mode="sandbox", enabled=True,
                                           secrets={"client_key": key})  # fmt: skip
    PowerOfficeSettings.objects.create(connection=connection)
    for n in range(6):
        customer = Customer.objects.create(client=client, number=10000 + n, name=f"Kunde {n}",
                                           postcode="0150", city="Oslo")  # fmt: skip
        Project.objects.create(client=client, number=f"P{n}", name=f"Prosjekt {n}",
                               customer=customer)  # fmt: skip
    for n in range(4):  # costs posted in PowerOffice Go by others, for the expense import
        sandbox.control("seed/supplier_invoice", {
            "client_key": key, "supplier": "Rørlegger AS",
            "voucher_date": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
            "lines": [{"account_no": 4300, "project_code": f"P{n}", "amount": 100.0 * (n + 1),
                       "vat_amount": 25.0 * (n + 1), "description": f"Rør {n}"}],
        })  # fmt: skip
    return client


def invoice_draft(client, rng: random.Random, *, description: str = "Soak"):
    """A draft invoice of two 100.00 lines on account 3000 for one of the client's projects."""
    from accounting.models import Account, Invoice, InvoiceLine, Project

    project = rng.choice(list(Project.objects.filter(client=client).select_related("customer")))
    account = Account.objects.get(client=client, number=3000)
    invoice = Invoice.objects.create(client=client, customer=project.customer, project=project,
                                     description=description)  # fmt: skip
    for n in range(2):
        line = InvoiceLine(client=client, invoice=invoice, line_no=n + 1, account=account,
                           description=f"Item {n}", quantity=Decimal("1"),
                           unit_price=Decimal("100.00"))  # fmt: skip
        line.compute_amounts()
        line.save()
    return invoice


def invoice_create(client, rng: random.Random):
    from accounting.services import invoice_finalize

    return invoice_finalize(invoice=invoice_draft(client, rng), by=None)


def credit_note_create(client, rng: random.Random) -> None:
    from accounting.models import Invoice
    from accounting.services import invoice_credit, invoice_finalize

    candidates = list(
        Invoice.objects.filter(client=client, state="finalized", credited_invoice__isnull=True,
                               credit_notes__isnull=True)[:20]
    )  # fmt: skip
    if candidates:
        invoice_finalize(invoice=invoice_credit(invoice=rng.choice(candidates), by=None), by=None)


def customer_rename(client, rng: random.Random, wave: int) -> None:
    from accounting.models import Customer
    from accounting.services import record_save

    customer = rng.choice(list(Customer.objects.filter(client=client)))
    customer.name = f"Kunde {customer.number} v{wave}"
    record_save(record=customer)


def pos_batch_queue(client, product_ids: list[str]) -> None:
    """Yesterday's sales of customers already in PowerOffice Go, sent as one nightly batch."""
    from accounting.models import Customer
    from integrations.models import ExternalLink
    from pos.batch import pos_batch_build
    from pos.models import PosSale, PosSaleLine, PosSettings

    linked = ExternalLink.objects.filter(connection__client=client,
                                         content_type__model="customer").values("object_id")
    customers = list(Customer.objects.filter(pk__in=linked))
    if not customers:
        return
    day = dt.date.today() - dt.timedelta(days=1)
    ids = [int(i) for i in product_ids]
    PosSettings.objects.create(
        client=client, enabled=True, enabled_since=day - dt.timedelta(days=30),
        product_id_vat_0=ids[0], product_id_vat_12=ids[1], product_id_vat_15=ids[2],
        product_id_vat_25=ids[3], gratuity_product_id=ids[4], invoice_fee_product_id=ids[5],
    )
    sold_at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    for n in range(1, 11):
        sale = PosSale.objects.create(client=client, number=str(n), till="Kasse",
                                      sold_at=sold_at, customer=customers[n % len(customers)])
        PosSaleLine.objects.create(sale=sale, line_no=1, amount_incl_vat=Decimal("125.00"),
                                   vat_rate=25)  # fmt: skip
    pos_batch_build(client=client, business_date=day)


def products_create(client) -> list[str]:
    """Six products in PowerOffice Go for the POS settings (made there, not by Ledgerbridge)."""
    from integrations.errors import RateLimited
    from integrations.models import Connection
    from integrations.poweroffice.client import PowerOfficeClient

    api = PowerOfficeClient.for_connection(Connection.objects.get(client=client))
    ids = []
    for n in range(6):
        try:
            row = api.create_product({"Code": f"POS{n}", "Name": f"POS {n}"})
        except RateLimited:  # a fresh sandbox's first answers can be slow: try once more
            time.sleep(1)
            row = api.create_product({"Code": f"POS{n}", "Name": f"POS {n}"})
        ids.append(str(row["Id"]))
    return ids


def expense_import_queue(client) -> None:
    from integrations.models import Connection, TransferKind
    from integrations.poweroffice.services import poweroffice_import_enqueue

    connection = Connection.objects.get(client=client)
    poweroffice_import_enqueue(connection=connection, kind=TransferKind.EXPENSE_IMPORT, days=5)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
FAULTS = {"latency": 0.03, "error_rate": 0.03, "throttle_rate": 0.02, "retry_after": 1}
OPEN = ("pending", "running")


def sweep() -> None:
    from django.db import close_old_connections

    from integrations.engine import transfers_sweep

    try:
        transfers_sweep()
    except Exception as err:  # noqa: BLE001 - SQLite may be busy; the next sweep tries again
        print(f"  sweep skipped: {err}")
        close_old_connections()


@dataclass
class Kill:
    """One SIGKILL of every cluster while voucher posts were in flight."""

    at: float  # seconds into the run
    references: list[str]  # voucher posts in flight when the clusters died
    still_in_sandbox: list[str]  # ... and still being handled by the sandbox after the kill
    running: list[int]  # transfers running at the kill
    recovered_after: float | None = None  # seconds until every one of them had finished
    bound_after: float | None = None  # seconds until the documents in flight were bound


@dataclass
class Killer:
    """In its own thread: at each planned moment (and once the previous kill has recovered)
    wait for a voucher post in flight, then SIGKILL every cluster and restart them."""

    run: Run
    started: float
    plan: list[float]
    kills: list[Kill] = field(default_factory=list)
    missed: int = 0  # planned kills that found no voucher post in flight in time
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._main, name="killer", daemon=True)
        thread.start()
        return thread

    def unrecovered(self) -> int:
        return sum(1 for k in self.kills if k.recovered_after is None)

    def _main(self) -> None:
        from django.db import connection

        try:
            for at in self.plan:
                if not self._wait_until(self.started + at):
                    return
                self._kill_when_a_voucher_post_is_in_flight(window=self.run.args.duration * 0.15)
                if self.kills and not self._await_recovery(self.kills[-1]):
                    return
        finally:
            connection.close()

    def _wait_until(self, moment: float) -> bool:
        while time.monotonic() < moment:
            if self.stopping.wait(0.2):
                return False
        return True

    def _kill_when_a_voucher_post_is_in_flight(self, window: float) -> None:
        from integrations.models import Transfer

        sandbox, deadline = self.run.sandbox, time.monotonic() + window
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                references = sandbox.voucher_posts_in_flight()
            except requests.RequestException:
                references = []
            if not references:
                time.sleep(0.05)
                continue
            killed_at = time.monotonic()
            with self.run.clusters_lock:
                for process in self.run.clusters:
                    stop(process, signal.SIGKILL)
                still = [r for r in sandbox.voucher_posts_in_flight() if r in references]
                running = list(Transfer.objects.filter(status="running")
                               .values_list("pk", flat=True))  # fmt: skip
                kill = Kill(killed_at - self.started, references, still, running)
                self.kills.append(kill)
                self.run.note(f"SIGKILL every cluster: voucher post(s) in flight {references} "
                              f"({len(still)} still inside the sandbox after the kill), "
                              f"{len(running)} transfers running", self.started)  # fmt: skip
                time.sleep(self.run.args.restart_delay)
                self.run.clusters = [self.run.cluster(i) for i in range(len(self.run.clusters))]
            self.run.note("clusters restarted", self.started)
            return
        self.missed += 1
        self.run.note("planned kill: no voucher post in flight in time, not killed", self.started)

    def _await_recovery(self, kill: Kill) -> bool:
        from django.contrib.contenttypes.models import ContentType

        from accounting.models import Invoice
        from integrations.models import ExternalLink, Transfer

        in_flight = list(Invoice.objects.filter(transfer_reference__in=kill.references)
                         .values_list("pk", flat=True))  # fmt: skip
        links = ExternalLink.objects.filter(
            content_type=ContentType.objects.get_for_model(Invoice), object_id__in=in_flight
        )
        while not self.stopping.is_set():
            if kill.bound_after is None and links.count() >= len(in_flight):
                kill.bound_after = time.monotonic() - self.started - kill.at
            finished = not Transfer.objects.filter(pk__in=kill.running, status__in=OPEN).exists()
            if kill.bound_after is not None and finished:
                kill.recovered_after = time.monotonic() - self.started - kill.at
                self.run.note(f"recovered: the voucher(s) in flight bound {kill.bound_after:.1f} s "
                              f"and the {len(kill.running)} transfers running at the kill "
                              f"finished {kill.recovered_after:.1f} s after it", self.started)
                return True
            time.sleep(0.5)
        return False


class Run:
    def __init__(self, args, sandbox: Sandbox, log_dir: Path):
        self.args, self.sandbox, self.log_dir = args, sandbox, log_dir
        self.rng = random.Random(args.seed)  # noqa: S311 - not crypto
        self.clusters: list[subprocess.Popen] = []
        self.clusters_lock = threading.Lock()
        self.events: list[str] = []
        self.refused = 0
        self.products: dict[int, list[str]] = {}

    def cluster(self, index: int) -> subprocess.Popen:
        return start(f"qcluster-{index}", [*MANAGE, "qcluster"], self.log_dir)

    def note(self, text: str, started: float) -> None:
        line = f"  t={time.monotonic() - started:5.1f}s {text}"
        self.events.append(line)
        print(line, flush=True)

    def kill_plan(self) -> list[float]:
        """Moments (seconds into the run) from which the next kill is armed: spread over the
        first 70 % of the load, so the last recovery happens while the load still runs."""
        count, span = self.args.kills, self.args.duration * 0.7
        return [self.args.duration * 0.08 + span * i / max(count, 1) for i in range(count)]

    def load(self, clients, started: float) -> None:
        args, wave, next_wave, last_sweep = self.args, 0, 0.0, 0.0
        plan = {"storm": args.duration * 0.4, "expire": args.duration * 0.5,
                "pos": args.duration * 0.55, "storm500": args.duration * 0.6}  # fmt: skip
        done: set[str] = set()
        while (elapsed := time.monotonic() - started) < args.duration:
            for event, at in plan.items():
                if elapsed >= at and event not in done:
                    done.add(event)
                    self.event(event, clients, started)
            if elapsed >= next_wave:
                self.wave(clients, wave)
                wave += 1
                next_wave = elapsed + args.wave
            if time.monotonic() - last_sweep > 2:
                sweep()
                last_sweep = time.monotonic()
            time.sleep(0.2)

    def wave(self, clients, wave: int) -> None:
        """One round of user work."""
        steps = [lambda c: invoice_create(c, self.rng)] * self.args.invoices
        if wave % 2:
            steps.append(lambda c: credit_note_create(c, self.rng))
        steps.append(lambda c: customer_rename(c, self.rng, wave))
        for client in clients:
            for step in steps:
                self.write(lambda step=step, client=client: step(client), tries=1)

    def write(self, change, tries: int = 3) -> None:
        """A user's change in one transaction. On SQLite a write may time out while a worker
        holds the single write lock: it is tried again, then given up and counted, as a failed
        save in the admin would be."""
        from django.db import OperationalError, transaction

        for _ in range(tries):
            try:
                with transaction.atomic():
                    change()
                return
            except OperationalError:
                time.sleep(1)
        self.refused += 1

    def event(self, name: str, clients, started: float) -> None:
        if name == "storm":
            self.sandbox.control("faults", {"fail_next": 30, "fail_status": 429,
                                            "retry_after": 2})  # fmt: skip
            self.note("429 storm: the next 30 requests", started)
        elif name == "storm500":
            self.sandbox.control("faults", {"fail_next": 20, "fail_status": 500})
            self.note("500 storm: the next 20 requests", started)
        elif name == "expire":
            self.sandbox.control("tokens/expire")
            self.note("every access token expired", started)
        elif name == "pos":
            for client in clients:
                self.write(lambda c=client: pos_batch_queue(c, self.products[c.pk]))
                self.write(lambda c=client: expense_import_queue(c))
            self.note("POS batch and expense import queued per client", started)

    def drain(self, started: float, killer: Killer) -> bool:
        """Faults off (answers are no longer dropped), then wait until nothing is open and
        every kill has recovered. True when drained in time."""
        from integrations.models import Transfer

        self.sandbox.control("faults", {"latency": 0, "error_rate": 0, "drop_rate": 0,
                                        "throttle_rate": 0, "fail_next": 0})  # fmt: skip
        self.note("load stopped, faults off; draining", started)
        deadline = time.monotonic() + self.args.drain
        open_ = 0
        while time.monotonic() < deadline:
            sweep()
            open_ = Transfer.objects.filter(status__in=OPEN).count()
            if not open_ and not killer.unrecovered():
                break
            time.sleep(2)
        drained = not open_ and not killer.unrecovered()
        self.note("drained" if drained else f"drain time over, {open_} still open", started)
        return drained


def sandbox_configure(sandbox: Sandbox, keys: list[str], args) -> None:
    sandbox.control("config", {
        "token_ttl": 45,
        "duplicates": args.duplicates,
        "clients": {k: {"name": f"Soak {i}"} for i, k in enumerate(keys)},
    })  # fmt: skip


def faults_on(sandbox: Sandbox, args) -> None:
    sandbox.control("requests", method="DELETE")
    # write_answer is switched on here, after the setup's own product creates
    sandbox.control("config", {"write_answer": args.write_answer})
    sandbox.control("faults", {**FAULTS, "drop_rate": args.drop_rate, "seed": args.seed,
                               "write_latency": {"/Vouchers/": args.voucher_latency}})  # fmt: skip


def main(argv=None) -> int:
    args = parse_args(argv)
    url = configure_environment(args)
    log_dir = Path(tempfile.mkdtemp(prefix="soak-logs-"))
    keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    sandbox_process = start("sandbox", [*MANAGE, "poweroffice_sandbox", "--host", HOST,
                                        "--port", url.rsplit(":", 1)[1], "--seed", str(args.seed),
                                        "--rate-limit", str(args.rate), "--no-state-file"],
                            log_dir)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the children on the way out
    sandbox = Sandbox(url)
    run = Run(args, sandbox, log_dir)
    killer = None
    try:
        setup_database(args)
        sandbox.wait_ready()
        sandbox_configure(sandbox, keys, args)
        clients = [make_client(i, k, sandbox) for i, k in enumerate(keys)]
        run.products = {client.pk: products_create(client) for client in clients}
        faults_on(sandbox, args)
        print(f"soak: {args.duration:.0f} s, {args.clusters} clusters x {args.workers} workers, "
              f"{args.clients} clients, database {os.environ['DATABASE_URL'].split(':')[0]}, "
              f"duplicates {args.duplicates}, write answer {args.write_answer}, "
              f"{args.drop_rate:.0%} of stored writes' answers dropped, voucher posts take "
              f"{args.voucher_latency} s, reaper after {args.running_timeout} s, "
              f"logs in {log_dir}", flush=True)  # fmt: skip
        run.clusters = [run.cluster(i) for i in range(args.clusters)]
        started = time.monotonic()
        killer = Killer(run, started, run.kill_plan())
        killer_thread = killer.start()
        run.load(clients, started)
        load_seconds = time.monotonic() - started
        drained = run.drain(started, killer)
        killer.stopping.set()
        killer_thread.join(10)
        total_seconds = time.monotonic() - started
        requests_log = sandbox.control("requests", method="GET")
        from bench.soak_report import report

        result = report(clients, keys, sandbox, load_seconds, total_seconds, requests_log, args)
        print_kills(killer, result)
        print(f"driver writes refused (database locked, SQLite only): {run.refused}")
        ok = drained and result.targets_met() and len(killer.kills) == args.kills
        print("RESULT: " + ("every target met" if ok else "TARGET MISSED (see above)"))
        return 0 if ok else 1
    finally:
        if killer is not None:
            killer.stopping.set()
        with run.clusters_lock:
            for process in run.clusters:
                stop(process)
        stop(sandbox_process)


def print_kills(killer: Killer, result) -> None:
    kills = killer.kills
    recoveries = [k.recovered_after for k in kills if k.recovered_after is not None]
    in_flight = [r for k in kills for r in k.references]
    print(f"\nin-flight kills {len(kills)} (planned {len(killer.plan)}, {killer.missed} found no "
          f"voucher post in flight): {len(in_flight)} voucher posts in flight, "
          f"{sum(len(k.still_in_sandbox) for k in kills)} still inside the sandbox after the "
          f"kill; {sum(len(k.running) for k in kills)} transfers running at the kills")
    bound = [k.bound_after for k in kills if k.bound_after is not None]
    if recoveries:
        print(f"recovery (kill → every transfer running at it finished): median "
              f"{statistics.median(recoveries):.1f} s, max {max(recoveries):.1f} s; "
              f"{len(kills) - len(recoveries)} kills not recovered; the vouchers in flight "
              f"bound after median {statistics.median(bound):.1f} s, max {max(bound):.1f} s")
    for kill in kills:
        stored = ", ".join(f"{r} stored {result.stored.get(r, 0)}x" for r in kill.references)
        recovered = (f"{kill.recovered_after:.1f} s (in flight bound {kill.bound_after:.1f} s)"
                     if kill.recovered_after else "NOT recovered")  # fmt: skip
        print(f"  t={kill.at:5.1f}s {len(kill.running)} running, recovered in {recovered}; "
              f"in flight: {stored}")


if __name__ == "__main__":
    sys.exit(main())
