"""Soak: mixed load through real task-cluster workers against a faulty sandbox, one cluster
killed and restarted; then the sandbox's ledger is compared with the database. Prints figures.

    .venv/bin/python bench/soak.py                          # 3 minutes, SQLite, 2 clusters x 2
    .venv/bin/python bench/soak.py --duration 60            # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/soak .venv/bin/python bench/soak.py \\
        --use-database-url                                  # PostgreSQL (the database is flushed)

Processes: the PowerOffice sandbox (`manage.py poweroffice_sandbox`), `--clusters` task clusters
(`manage.py qcluster`, `--workers` each, ORM broker) and this driver, which creates the load,
runs the sweep every few seconds (as the scheduler would), switches faults on (latency, 500s,
429s and a 429 storm, responses dropped after the write was stored, every token expired
mid-run) and SIGKILLs the first cluster a third of the way in, restarting it seconds later.
After `--duration` the faults stop and the queue drains (at most `--drain` seconds).

Load: invoices (finalized in waves), credit notes of some of them, customer renames, one POS
batch and one expense import per client. Every object is checked against the sandbox: posted
exactly once, doubled (target 0), lost (we think it is there but it is not; target 0), still
pending, failed with its reason. Plus throughput and p50/p95 latency (queued → finished).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--drain", type=float, default=150, help="seconds to let the queue empty")
    parser.add_argument("--clusters", type=int, default=2, help="task clusters (qcluster)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per cluster")
    parser.add_argument("--clients", type=int, default=2, help="clients (client keys)")
    parser.add_argument("--wave", type=float, default=4.0, help="seconds between load waves")
    parser.add_argument("--invoices", type=int, default=3, help="invoices per client per wave")
    parser.add_argument("--rate", type=float, default=10.0, help="sandbox requests/s per key")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--use-database-url", action="store_true",
        help="use DATABASE_URL (PostgreSQL) instead of a temporary SQLite file; it is flushed",
    )  # fmt: skip
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure_environment(args) -> str:
    """Environment shared by this driver and every child process."""
    if not args.use_database_url:
        path = Path(tempfile.mkdtemp(prefix="soak-")) / "soak.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    port = free_port()
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "POWEROFFICE_SANDBOX_URL": f"http://127.0.0.1:{port}",
        "POWEROFFICE_RATE_LIMIT": str(args.rate),
        "POWEROFFICE_APPLICATION_KEY": "",
        "POWEROFFICE_SUBSCRIPTION_KEY": "",
        "INTEGRATIONS_RATE_LIMIT_BACKEND": "database",
        "Q_WORKERS": str(args.workers),
        "Q_TIMEOUT": "30",
        "Q_RETRY": "45",
        "INTEGRATIONS_RUNNING_TIMEOUT": "40",
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
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Sandbox:
    def __init__(self, url: str):
        self.url = url

    def control(self, command: str, data=None, method="POST"):
        response = requests.request(method, f"{self.url}/_sandbox/{command}", json=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_ready(self) -> None:
        for _ in range(100):
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


def invoice_create(client, rng: random.Random):
    from accounting.models import Account, Invoice, InvoiceLine, Project
    from accounting.services import invoice_finalize

    project = rng.choice(list(Project.objects.filter(client=client).select_related("customer")))
    account = Account.objects.get(client=client, number=3000)
    invoice = Invoice.objects.create(client=client, customer=project.customer, project=project,
                                     description="Soak")  # fmt: skip
    for n in range(2):
        line = InvoiceLine(client=client, invoice=invoice, line_no=n + 1, account=account,
                           description=f"Item {n}", quantity=Decimal("1"),
                           unit_price=Decimal("100.00"))  # fmt: skip
        line.compute_amounts()
        line.save()
    return invoice_finalize(invoice=invoice, by=None)


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
FAULTS = {"latency": 0.03, "error_rate": 0.03, "drop_rate": 0.04, "throttle_rate": 0.02,
          "retry_after": 1}  # fmt: skip


def sweep() -> None:
    from django.db import close_old_connections

    from integrations.engine import transfers_sweep

    try:
        transfers_sweep()
    except Exception as err:  # noqa: BLE001 - SQLite may be busy; the next sweep tries again
        print(f"  sweep skipped: {err}")
        close_old_connections()


class Run:
    def __init__(self, args, sandbox: Sandbox, log_dir: Path):
        self.args, self.sandbox, self.log_dir = args, sandbox, log_dir
        self.rng = random.Random(args.seed)  # noqa: S311 - not crypto
        self.clusters: list[subprocess.Popen] = []
        self.events: list[str] = []
        self.refused = 0

    def cluster(self, index: int) -> subprocess.Popen:
        return start(f"qcluster-{index}", [*MANAGE, "qcluster"], self.log_dir)

    def note(self, text: str, started: float) -> None:
        line = f"  t={time.monotonic() - started:5.1f}s {text}"
        self.events.append(line)
        print(line, flush=True)

    def load(self, clients, keys, started: float) -> None:
        args, wave, last_sweep = self.args, 0, 0.0
        plan = {"kill": args.duration / 3,
                "storm": args.duration * 0.4, "expire": args.duration * 0.5,
                "pos": args.duration * 0.55, "storm500": args.duration * 0.6}  # fmt: skip
        done: set[str] = set()
        while (elapsed := time.monotonic() - started) < args.duration:
            for event, at in plan.items():
                if elapsed >= at and event not in done:
                    done.add(event)
                    self.event(event, clients, keys, started)
            self.wave(clients, wave)
            wave += 1
            if time.monotonic() - last_sweep > 5:
                sweep()
                last_sweep = time.monotonic()
            time.sleep(args.wave)

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
        holds the single write lock (an export runs with its HTTP calls in one transaction):
        it is tried again, then given up and counted, as a failed save in the admin would be."""
        from django.db import OperationalError, transaction

        for _ in range(tries):
            try:
                with transaction.atomic():
                    change()
                return
            except OperationalError:
                time.sleep(1)
        self.refused += 1

    def event(self, name: str, clients, keys, started: float) -> None:
        if name == "kill":
            stop(self.clusters[0], signal.SIGKILL)
            self.note("SIGKILL cluster 0 (its running tasks die mid-transfer)", started)
            time.sleep(5)
            self.clusters[0] = self.cluster(0)
            self.note("cluster 0 restarted", started)
        elif name == "storm":
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

    def drain(self, started: float) -> None:
        from integrations.models import Transfer

        self.sandbox.control("faults", {"latency": 0, "error_rate": 0, "drop_rate": 0,
                                        "throttle_rate": 0, "fail_next": 0})  # fmt: skip
        self.note("load stopped, faults off; draining", started)
        deadline = time.monotonic() + self.args.drain
        while time.monotonic() < deadline:
            sweep()
            open_ = Transfer.objects.filter(status__in=["pending", "running"]).count()
            if not open_:
                break
            time.sleep(3)
        self.note("drained" if not open_ else f"drain time over, {open_} still open", started)


def main() -> None:
    args = parse_args()
    url = configure_environment(args)
    log_dir = Path(tempfile.mkdtemp(prefix="soak-logs-"))
    keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    sandbox_process = start("sandbox", [*MANAGE, "poweroffice_sandbox", "--port",
                                        url.rsplit(":", 1)[1], "--seed", str(args.seed),
                                        "--rate-limit", str(args.rate)], log_dir)  # fmt: skip
    sandbox = Sandbox(url)
    run = Run(args, sandbox, log_dir)
    try:
        setup_database(args)
        sandbox.wait_ready()
        sandbox.control("config", {"token_ttl": 45,
                                   "clients": {k: {"name": f"Soak {i}"} for i, k in
                                               enumerate(keys)}})  # fmt: skip
        clients = [make_client(i, k, sandbox) for i, k in enumerate(keys)]
        run.products = {client.pk: products_create(client) for client in clients}
        sandbox.control("requests", method="DELETE")
        sandbox.control("faults", {**FAULTS, "seed": args.seed})
        print(f"soak: {args.duration:.0f} s, {args.clusters} clusters x {args.workers} workers, "
              f"{args.clients} clients, database {os.environ['DATABASE_URL'].split(':')[0]}, "
              f"logs in {log_dir}", flush=True)  # fmt: skip
        run.clusters = [run.cluster(i) for i in range(args.clusters)]
        started = time.monotonic()
        run.load(clients, keys, started)
        load_seconds = time.monotonic() - started
        run.drain(started)
        total_seconds = time.monotonic() - started
        requests_log = sandbox.control("requests", method="GET")
        from bench.soak_report import report

        report(clients, keys, sandbox, load_seconds, total_seconds, requests_log, args)
        print(f"driver writes refused (database locked, SQLite only): {run.refused}")
    finally:
        for process in run.clusters:
            stop(process)
        stop(sandbox_process)


if __name__ == "__main__":
    main()
