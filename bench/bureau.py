"""Bureau scale (issue 19): many clients behind one PowerOffice Go key, through a real cluster.
Prints figures; no assertions.

    DATABASE_URL=postgres://postgres@127.0.0.1:54329/bureau .venv/bin/python bench/bureau.py
    DATABASE_URL=... .venv/bin/python bench/bureau.py --compare 20      # 20, then 200 clients
    DATABASE_URL=... .venv/bin/python bench/bureau.py --clients 200 --burst 50 --requeue 20 \\
        --rate 30 --timeout 120                                      # a short check

Processes: the PowerOffice sandbox in its own process (`bench/harness.py`: the rate limit per
subscription key, `--latency` ± `--jitter` per round trip), one task cluster (`manage.py
qcluster`, `--workers` workers, ORM broker) and this driver. The database (DATABASE_URL,
PostgreSQL for the figures; it is flushed) holds `--clients` clients, each with its own
connection and client key; the key's budget is `--rate` requests/s for all of them together.
The shared cache is CACHE_URL, by default (as in production) the database cache with room for
20,000 entries (tokens and reference data of every client); the limiter's ticks have their own
table (INTEGRATIONS_RATE_LIMIT_BACKEND auto).

The world before the clock (its phases' times are printed):

- clients: each with its VAT code, two accounts, a PowerOffice connection (client key encrypted
  at rest), its settings and six customers with a project each, written in bulk (plain rows, as
  the soak bench's `make_client` writes them one by one; no domain rule runs on either path).
- products: six POS products per client *in PowerOffice Go* (made there by the accountant, not
  by Ledgerbridge), seeded through the sandbox's control API rather than created through our API
  client, which would spend the budget and a token per client on set-up.
- failures: `--requeue` invoices spread over the clients are finalized through the domain
  (`invoice_finalize`: numbering, totals, the outbox) while no cluster runs, then marked failed.
- warm-up: every client's first invoice (customer 0, project 0) is finalized and exported
  through a real cluster on the real path: the customer and project are created in PowerOffice
  Go and linked, the client's token and reference data land in the shared cache, the first
  voucher is posted. This is the state of a bureau that has been running: the issue's scenario
  is month-end, not the first day. To fit 200 clients into minutes the warm-up runs with the
  sandbox's latency and limit off and each worker process limited to `--warmup-rate` by its
  own (local) limiter; the cluster is then stopped and a new one started at `--rate`, so the
  clock starts with cold worker processes (nothing cached per process) and a warm shared
  cache, and the sandbox is put back to `--rate` and `--latency`. The new workers open their
  database sessions before the clock (one short task each), so sessions counted are the run's.
- POS: each client's till settings (the seeded products) and yesterday's `--sales` sales to
  customer 0, written in bulk (they come from the till during the day).
- drafts: the month-end burst's `--burst` drafts, written in bulk.

Then the clock starts and, at once: client 0 finalizes the burst's drafts one by one (the
month-end run), every client's nightly POS batch is built (`pos_batch_build`), the failures are
re-queued, and a trickle of single invoices from the other clients (drafted and finalized one
every `--trickle-every` s) goes on until the burst has drained. The driver runs the sweep every
2 s, as the scheduler would. Everything the driver does inside the clock is product work a web
request or the scheduler would do; its own sessions and statements are printed apart.

Printed: requests/s served against the limit over the whole drain and over the busy interval
(first to last request), 429s apart; API calls; SQL statements per document (every process;
pg_stat_statements when preloaded), split into the driver's and the cluster's, and the rate
limiter's / shared cache's statements apart from the rest; new database sessions per 100
documents within the clock; the cluster's CPU ms per document; peak memory per worker process;
p50/p95 from finalize (or batch, or re-queue) to posted per class; the burst's drain time
against its own API calls / budget and against every API call served while it drained / budget
(the budget is shared fairly with the other clients, so the second is what the drain can be
held to). `--compare N` runs the whole scenario at N clients and then at `--clients`, and prints
the headline figures side by side ("flat from 20 to 200 clients").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import psutil  # noqa: E402

from bench.harness import (  # noqa: E402
    ApiTally,
    SandboxProcess,
    StatementCounter,
    close_everything,
    percentile,
    postgres_totals,
    statement_texts,
)
from bench.soak import MANAGE, invoice_draft, stop, sweep  # noqa: E402

CUSTOMERS = 6  # per client, each with one project
PRODUCTS = 6  # per client's till: VAT 0, 12, 15, 25 %, gratuity, invoice fee


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="run at N clients first, then at --clients; print both")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s for the key")
    parser.add_argument("--warmup-rate", type=float, default=100.0,
                        help="requests/s per worker during the warm-up (before the clock)")
    parser.add_argument("--latency", type=float, default=0.1, help="API round trip, seconds")
    parser.add_argument("--jitter", type=float, default=0.02, help="± seconds per round trip")
    parser.add_argument("--workers", type=int, default=4, help="cluster worker processes")
    parser.add_argument("--burst", type=int, default=2000, help="client 0's month-end invoices")
    parser.add_argument("--requeue", type=int, default=500, help="failed invoices re-queued")
    parser.add_argument("--sales", type=int, default=10, help="POS sales per client's batch")
    parser.add_argument("--trickle-every", type=float, default=1.0,
                        help="seconds between single invoices of the other clients")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (s)")
    parser.add_argument("--sandbox-port", type=int, default=0)
    return parser.parse_args(argv)  # fmt: skip


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def configure(args, url: str) -> None:
    os.environ.update({
        "DEBUG": "false",  # no query log in the workers
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "FIELD_ENCRYPTION_KEYS": os.environ.get("FIELD_ENCRYPTION_KEYS") or _fernet_key(),
        "POWEROFFICE_SANDBOX_URL": url,
        "POWEROFFICE_RATE_LIMIT": str(args.rate),
        "POWEROFFICE_APPLICATION_KEY": "",
        "POWEROFFICE_SUBSCRIPTION_KEY": "",
        "Q_WORKERS": str(args.workers),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "ERROR",
    })  # fmt: skip


def setup_database() -> str:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            except Exception:  # noqa: BLE001 - not available: statements are not counted
                print("pg_stat_statements is not available: statements are not counted")
    return settings.DATABASES["default"]["NAME"]


class Phases:
    """Wall-clock seconds of each set-up phase, printed as they end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        started = time.monotonic()
        yield
        self.seconds[name] = time.monotonic() - started
        print(f"  set-up {name:10} {self.seconds[name]:6.1f} s", flush=True)

    def line(self) -> str:
        parts = ", ".join(f"{name} {s:.1f}" for name, s in self.seconds.items())
        return f"{sum(self.seconds.values()):.1f} s ({parts})"


# ---------------------------------------------------------------------------------------------
# The world, in bulk
# ---------------------------------------------------------------------------------------------
@dataclass
class World:
    clients: list = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    sales_account: dict = field(default_factory=dict)  # client pk -> Account 3000 (VAT loaded)
    projects: dict = field(default_factory=dict)  # client pk -> [Project] (customer loaded)
    products: dict = field(default_factory=dict)  # client pk -> [PowerOffice product id]


def clients_create(keys: list[str]) -> World:
    """The clients, their VAT code, accounts, connection, settings, customers and projects."""
    from accounting.models import Account, Client, Customer, Project, VatCode
    from integrations.models import Connection, System
    from integrations.poweroffice.models import PowerOfficeSettings

    world = World(keys=keys)
    world.clients = Client.objects.bulk_create(
        [Client(name=f"Bureau {i} AS", organization_number=f"98{i:07d}") for i in range(len(keys))],
        batch_size=500,
    )
    vats = VatCode.objects.bulk_create(
        [VatCode(client=c, code="3", name="High", rate=Decimal("25")) for c in world.clients]
    )
    accounts = Account.objects.bulk_create(
        [Account(client=c, number=3000, name="Sales", vat_code=v, external_vat_code="3")
         for c, v in zip(world.clients, vats, strict=True)]
        + [Account(client=c, number=4300, name="Purchases", external_vat_code="1")
           for c in world.clients], batch_size=1000,
    )  # fmt: skip
    world.sales_account = {a.client_id: a for a in accounts if a.number == 3000}
    connections = Connection.objects.bulk_create(
        [Connection(client=c, system=System.POWEROFFICE, mode="sandbox", enabled=True,
                    secrets={"client_key": k}) for c, k in zip(world.clients, keys, strict=True)],
        batch_size=500,
    )  # fmt: skip
    PowerOfficeSettings.objects.bulk_create(
        [PowerOfficeSettings(connection=c) for c in connections], batch_size=500
    )
    customers = Customer.objects.bulk_create(
        [Customer(client=c, number=10000 + n, name=f"Kunde {n}", postcode="0150", city="Oslo")
         for c in world.clients for n in range(CUSTOMERS)], batch_size=1000,
    )  # fmt: skip
    projects = Project.objects.bulk_create(
        [Project(client=c.client, number=f"P{c.number - 10000}",
                 name=f"Prosjekt {c.number - 10000}", customer=c) for c in customers],
        batch_size=1000,
    )  # fmt: skip
    for project in projects:
        world.projects.setdefault(project.client_id, []).append(project)
    return world


def products_seed(world: World, sandbox: SandboxProcess) -> None:
    """Six products per client in PowerOffice Go, made there (the sandbox's control API)."""
    rows = [{"Code": f"POS{n}", "Name": f"POS {n}"} for n in range(PRODUCTS)]

    def seed(key: str) -> list[int]:
        answer = sandbox.control("seed/register_rows",
                                 {"register": "Products", "rows": rows, "client_key": key})
        return [int(row["Id"]) for row in answer["rows"]]

    with ThreadPoolExecutor(8) as pool:
        for client, ids in zip(world.clients, pool.map(seed, world.keys), strict=True):
            world.products[client.pk] = ids


def drafts_create(world: World, specs: list[tuple], description: str = "Bureau") -> list:
    """Draft invoices of two 100.00 lines on account 3000, one per (client, project), in bulk
    (the rows `bench.soak.invoice_draft` writes one by one)."""
    from accounting.models import Invoice, InvoiceLine

    invoices = Invoice.objects.bulk_create(
        [Invoice(client=c, customer=p.customer, project=p, description=description)
         for c, p in specs], batch_size=1000,
    )  # fmt: skip
    lines = []
    for invoice in invoices:
        for n in range(2):
            line = InvoiceLine(client=invoice.client, invoice=invoice, line_no=n + 1,
                               account=world.sales_account[invoice.client_id],
                               description=f"Item {n}", quantity=Decimal("1"),
                               unit_price=Decimal("100.00"))  # fmt: skip
            line.compute_amounts()
            lines.append(line)
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    return invoices


def pos_tills_create(world: World, sales: int) -> dt.date:
    """Each client's till settings and yesterday's sales to customer 0; returns the day."""
    from pos.models import PosSale, PosSaleLine, PosSettings

    day = dt.date.today() - dt.timedelta(days=1)
    PosSettings.objects.bulk_create([
        PosSettings(client=c, enabled=True, enabled_since=day - dt.timedelta(days=30),
                    product_id_vat_0=ids[0], product_id_vat_12=ids[1], product_id_vat_15=ids[2],
                    product_id_vat_25=ids[3], gratuity_product_id=ids[4],
                    invoice_fee_product_id=ids[5])
        for c in world.clients for ids in [world.products[c.pk]]
    ], batch_size=500)  # fmt: skip
    sold_at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    made = PosSale.objects.bulk_create([
        PosSale(client=c, number=str(n), till="Kasse", sold_at=sold_at,
                customer=world.projects[c.pk][0].customer)
        for c in world.clients for n in range(1, sales + 1)
    ], batch_size=1000)  # fmt: skip
    PosSaleLine.objects.bulk_create(
        [PosSaleLine(sale=s, line_no=1, amount_incl_vat=Decimal("125.00"), vat_rate=25)
         for s in made], batch_size=2000,
    )  # fmt: skip
    return day


def finalize(invoice) -> None:
    from accounting.services import invoice_finalize

    invoice_finalize(invoice=invoice, by=None)


def open_transfers() -> int:
    from integrations.models import Transfer, TransferStatus

    return Transfer.objects.filter(
        status__in=[TransferStatus.PENDING, TransferStatus.RUNNING]
    ).count()


def drain(timeout: float, *, until=None) -> bool:
    """Wait (running the sweep every 2 s) until `until()` holds, or else until nothing is
    pending or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep()
        if until() if until else open_transfers() == 0:
            return True
        time.sleep(2)
    return False


def cluster_start(rate: float, log_dir: Path, workers: int, *, touch: bool,
                  limiter: str | None = None):  # fmt: skip
    """A task cluster whose limiter allows `rate`/s (of backend `limiter`, or the configured
    one); with `touch`, returns once every worker has opened its database session."""
    from django_q.models import OrmQ, Task
    from django_q.tasks import async_task

    env = {**os.environ, "POWEROFFICE_RATE_LIMIT": str(rate)}
    if limiter:
        env["INTEGRATIONS_RATE_LIMIT_BACKEND"] = limiter
    cluster = subprocess.Popen(  # noqa: S603 - fixed argv
        [*MANAGE, "qcluster"], cwd=ROOT, env=env, start_new_session=True,
        stdout=open(log_dir / "qcluster.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    if touch:
        count = 2 * workers
        for _ in range(count):
            async_task("bench.harness.database_touch")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = Task.objects.filter(func="bench.harness.database_touch").count()
            if done >= count and not OrmQ.objects.exists():
                break
            time.sleep(0.5)
        Task.objects.filter(func="bench.harness.database_touch").delete()
    return cluster


def world_build(args, sandbox: SandboxProcess, phases: Phases, log_dir: Path):
    """Everything before the clock; returns (world, burst drafts, failed invoices, POS day,
    the cluster for the clock)."""
    from integrations.models import Transfer, TransferKind, TransferStatus

    keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    sandbox.add_clients(keys)
    sandbox.control("config", {"token_ttl": 3600})
    rng = random.Random(19)  # noqa: S311 - not crypto
    sandbox.control("faults", {"latency": 0, "jitter": 0})  # until the clock
    with phases("clients"):
        world = clients_create(keys)
    with phases("products"):
        products_seed(world, sandbox)
    with phases("failures"):  # finalized while no worker ran, then marked failed: never sent
        specs = [(world.clients[i % len(keys)], rng.choice(world.projects[world.clients[
            i % len(keys)].pk])) for i in range(args.requeue)]  # fmt: skip
        failing = drafts_create(world, specs)
        for invoice in failing:
            finalize(invoice)
        Transfer.objects.filter(object_id__in=[i.pk for i in failing],
                                kind=TransferKind.INVOICE).update(
            status=TransferStatus.FAILED, last_error="bench: made to fail")  # fmt: skip
    with phases("warm-up"):
        # Each worker process at --warmup-rate with its own limiter: the warm-up is not
        # measured, and the shared limiter's tolerance (a few ms) is too tight for a loaded
        # machine at 100/s: its senders miss tick after tick.
        sandbox.control("config", {"rate_limit": None})
        cluster = cluster_start(args.warmup_rate, log_dir, args.workers, touch=False,
                                limiter="local")  # fmt: skip
        try:
            for invoice in drafts_create(world, [(c, world.projects[c.pk][0])
                                                 for c in world.clients]):  # fmt: skip
                finalize(invoice)
            if not drain(600):
                raise SystemExit("the warm-up did not drain")
        finally:
            stop(cluster)
        sandbox.control("config", {"rate_limit": args.rate})
        sandbox.control("faults", {"latency": args.latency, "jitter": args.jitter})
    with phases("POS tills"):
        day = pos_tills_create(world, args.sales)
    with phases("drafts"):
        burst = drafts_create(world, [(world.clients[0], rng.choice(world.projects[
            world.clients[0].pk])) for _ in range(args.burst)])  # fmt: skip
    with phases("cluster"):
        cluster = cluster_start(args.rate, log_dir, args.workers, touch=True)
    return world, burst, failing, day, cluster


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def cluster_processes(cluster) -> list[psutil.Process]:
    try:
        parent = psutil.Process(cluster.pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss_mib(processes: list[psutil.Process]) -> float:
    """The largest peak resident size (VmHWM) of any one process of the cluster."""
    best = 0
    for process in processes:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return best / 1024


@dataclass
class Measured:
    """What the clock saw, for the report."""

    elapsed: float = 0.0
    drained: bool = False
    wall0: dt.datetime | None = None
    burst_ids: list[int] = field(default_factory=list)
    trickled: list[int] = field(default_factory=list)
    requeued: int = 0
    requeued_ids: list[int] = field(default_factory=list)
    requeue_at: dt.datetime | None = None
    cpu: float = 0.0
    peak: float = 0.0
    sessions: tuple = (None, None)
    statements: tuple = ({}, {})
    driver: tuple = ((0, 0), (0, 0))  # the driver's (statements, sessions) at start and end


def run_clock(args, sandbox: SandboxProcess, world: World, burst, failing, day, cluster,
              database) -> Measured:  # fmt: skip
    from django.db import connection

    from integrations.engine import transfers_requeue_failed
    from integrations.models import Transfer, TransferKind, TransferStatus
    from pos.batch import pos_batch_build

    m = Measured(burst_ids=[i.pk for i in burst], requeued_ids=[i.pk for i in failing])
    counter = _driver_counter()
    time.sleep(1.5)  # PostgreSQL publishes session counts at most once a second
    m.sessions = (postgres_totals(database)[0], None)
    m.statements = (statement_texts(database), {})
    driver0 = counter.snapshot()
    cpu0 = cpu_seconds(cluster_processes(cluster))
    sandbox.clear_requests()
    started, m.wall0 = time.monotonic(), dt.datetime.now(dt.UTC)
    burst_done = threading.Event()

    def run_burst():
        try:
            for invoice in burst:
                finalize(invoice)
        finally:
            connection.close()

    others = world.clients[1:]

    def run_trickle():
        trickle_rng = random.Random(23)  # noqa: S311 - not crypto
        try:
            while others and not burst_done.is_set():
                invoice = invoice_draft(trickle_rng.choice(others), trickle_rng,
                                        description="Bureau")  # fmt: skip
                finalize(invoice)
                m.trickled.append(invoice.pk)
                burst_done.wait(args.trickle_every)
        finally:
            connection.close()

    burst_thread = threading.Thread(target=run_burst)
    trickle_thread = threading.Thread(target=run_trickle)
    burst_thread.start()
    trickle_thread.start()
    for client in world.clients:
        pos_batch_build(client=client, business_date=day)
    m.requeue_at = dt.datetime.now(dt.UTC)
    m.requeued = transfers_requeue_failed()

    def burst_posted() -> bool:
        if burst_thread.is_alive():
            return False
        return not Transfer.objects.filter(
            object_id__in=m.burst_ids, kind=TransferKind.INVOICE,
            status__in=[TransferStatus.PENDING, TransferStatus.RUNNING],
        ).exists()  # fmt: skip

    m.drained = drain(args.timeout, until=burst_posted)
    burst_done.set()
    trickle_thread.join()
    burst_thread.join()
    m.drained = drain(args.timeout) and m.drained
    m.elapsed = time.monotonic() - started
    processes = cluster_processes(cluster)
    m.cpu = cpu_seconds(processes) - cpu0
    m.peak = peak_rss_mib(processes[1:]) if len(processes) > 1 else 0.0
    m.driver = (driver0, counter.snapshot())
    time.sleep(1.5)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_stat_clear_snapshot()")
    m.sessions = (m.sessions[0], postgres_totals(database)[0])
    m.statements = (m.statements[0], statement_texts(database))
    return m


_counter: StatementCounter | None = None


def _driver_counter() -> StatementCounter:
    """One counter for this process (installed once: it patches connection creation)."""
    global _counter  # noqa: PLW0603 - one per process
    if _counter is None:
        _counter = StatementCounter().install()
    return _counter


def run_once(args, sandbox: SandboxProcess) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="bureau-"))
    phases = Phases()
    print(f"bureau: {args.clients} clients; set-up (logs in {log_dir})", flush=True)
    database = setup_database()
    cluster = None
    try:
        world, burst, failing, day, cluster = world_build(args, sandbox, phases, log_dir)
        measured = run_clock(args, sandbox, world, burst, failing, day, cluster, database)
        return report(args, sandbox, phases, measured)
    finally:
        if cluster is not None:
            stop(cluster)
        close_everything()


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def _shape(path: str) -> str:
    """A request path without its ids (digits and GUIDs), to count requests by kind."""
    return re.sub(r"/[0-9a-fA-F-]{6,}|/\d+", "/{id}", path.split("?")[0])


STATEMENT_CLASSES = ("rate limiter", "shared cache", "task broker", "transactions", "the rest")


def statement_class(text: str, cache_table: str, limiter_table: str) -> str | None:
    """Which part of the system a pg_stat_statements text belongs to (None: the bench's own)."""
    lowered = text.lower()
    if "pg_stat_" in lowered or "pg_database" in lowered:
        return None
    if limiter_table in lowered:
        return "rate limiter"
    if cache_table and cache_table in lowered:
        return "shared cache"
    if "django_q_" in lowered:
        return "task broker"
    if re.match(r"\s*(begin|commit|rollback|savepoint|release|set )", lowered):
        return "transactions"
    return "the rest"


def statements_by_class(before: dict, after: dict) -> tuple[Counter, Counter]:
    """(statements per class, statements per cache-table text) run between two snapshots."""
    from django.conf import settings

    from integrations.models import RateLimitTick

    cache = settings.CACHES["default"]
    cache_table = cache.get("LOCATION", "").lower() if "DatabaseCache" in cache["BACKEND"] else ""
    limiter_table = RateLimitTick._meta.db_table.lower()
    classes, cache_texts = Counter(), Counter()
    for queryid, (text, calls) in after.items():
        ran = calls - before.get(queryid, ("", 0))[1]
        name = statement_class(text, cache_table, limiter_table)
        if ran <= 0 or name is None:
            continue
        classes[name] += ran
        if name == "shared cache":
            cache_texts[" ".join(text.split())[:90]] += ran
    return classes, cache_texts


def report(args, sandbox, phases: Phases, m: Measured) -> dict:  # noqa: PLR0915 - one report
    from django.conf import settings
    from django.db.models import Min

    from accounting.models import Invoice
    from integrations.models import Transfer, TransferKind, TransferStatus
    from pos.models import PosSale

    log = sandbox.requests()
    tally = ApiTally(log, m.elapsed, args.rate)
    done = Transfer.objects.filter(finished_at__gte=m.wall0)
    sent_invoices = done.filter(kind=TransferKind.INVOICE, status=TransferStatus.SUCCEEDED)
    pos = done.filter(kind=TransferKind.POS_BATCH)
    invoices_sent = sent_invoices.count()
    sales = PosSale.objects.filter(status=PosSale.Status.SENT).count()
    documents = max(invoices_sent + sales, 1)
    finalized = dict(Invoice.objects.filter(finalized_at__gte=m.wall0)
                     .values_list("pk", "finalized_at"))  # fmt: skip

    def waits(ids, since=None) -> list[float]:
        rows = sent_invoices.filter(object_id__in=ids).values_list("object_id", "finished_at")
        return [(end - (since or finalized.get(pk, end))).total_seconds() for pk, end in rows]

    served_at = sorted(r["at"] for r in tally.served)
    busy_rate = tally.busy()[1]
    # The burst: first finalize → last of its invoices posted, and what the sandbox served then.
    burst = waits(m.burst_ids)
    first = Invoice.objects.filter(pk__in=m.burst_ids).aggregate(t=Min("finalized_at"))["t"]
    last = sent_invoices.filter(object_id__in=m.burst_ids).order_by("-finished_at").first()
    drain_s = (last.finished_at - first).total_seconds() if last and first else 0.0
    during = (sum(1 for at in served_at if first.timestamp() <= at <= last.finished_at.timestamp())
              if last and first else 0)  # fmt: skip
    # The sandbox's log does not say whose request it was: the burst's own calls are estimated
    # at the invoices' calls per invoice (every call but the POS batches' sales orders).
    pos_calls = sum(1 for r in tally.served if "/salesorders" in r["path"].lower())
    per_invoice = (tally.calls() - pos_calls) / max(invoices_sent, 1)
    own = len(burst) * per_invoice
    own_s, during_s = own / args.rate, during / args.rate
    classes = {
        "burst (client 0)": burst,
        "trickle (others)": waits(m.trickled),
        "POS batch": [(t.finished_at - t.created_at).total_seconds() for t in pos
                      if t.finished_at],
        "re-queued": waits(m.requeued_ids, since=m.requeue_at),
    }  # fmt: skip
    by_class, cache_texts = statements_by_class(*m.statements)
    statements = sum(by_class.values()) if m.statements[1] else None
    (d_statements0, d_sessions0), (d_statements1, d_sessions1) = m.driver
    driver_statements, driver_sessions = d_statements1 - d_statements0, d_sessions1 - d_sessions0
    s0, s1 = m.sessions
    sessions = None if s0 is None or s1 is None else s1 - s0

    def per(value, scale: float = 1) -> str:
        return "unknown" if value is None else f"{scale * value / documents:.2f}"

    print(f"bureau: {args.clients} clients, {args.workers} workers, limit {args.rate:g}/s, "
          f"latency {args.latency * 1000:.0f} ± {args.jitter * 1000:.0f} ms; burst {args.burst}, "
          f"{len(m.trickled)} trickled, {args.sales} POS sales per client, {m.requeued} re-queued")
    print(f"set-up                     {phases.line()}")
    print(f"shared cache               {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
          f" {settings.CACHES['default'].get('LOCATION', '')}")
    print(f"drained                    {'yes' if m.drained else 'NO'} in {m.elapsed:.1f} s")
    for line in tally.lines():
        print(line)
    print(f"documents sent             {invoices_sent + sales} ({invoices_sent} invoices, "
          f"{sales} POS sales); API calls per document {tally.calls() / documents:.2f}, per "
          f"invoice {per_invoice:.2f} (all but the sales orders)")
    print(f"SQL statements per document {per(statements)} (every process, within the clock); "
          f"driver {per(driver_statements)}, cluster "
          f"{per(None if statements is None else statements - driver_statements)}")
    if statements:
        print("  by part                  " + "; ".join(
            f"{name} {by_class[name] / documents:.2f}" for name in STATEMENT_CLASSES))
        print(f"  shared-cache table       {by_class['shared cache'] / max(len(log), 1):.2f} "
              f"statements per API request (the cache limiter's ticks and the shared tokens "
              f"and reference data share the table: not told apart)")
        for text, count in cache_texts.most_common(4):
            print(f"    {count:7} × {text}")
    print(f"new DB sessions per 100 documents {per(sessions, 100)} within the clock "
          f"(workers connected before it); driver {per(driver_sessions, 100)}, cluster "
          f"{per(None if sessions is None else sessions - driver_sessions, 100)}")
    paths = Counter(f"{r['method']} {_shape(r['path'])}" for r in tally.served)
    print("most frequent requests     " + "; ".join(f"{p} × {n}" for p, n in paths.most_common(6)))
    print(f"cluster CPU per document   {1000 * m.cpu / documents:.1f} ms")
    print(f"peak memory per worker     {m.peak:.0f} MiB (largest VmHWM of the cluster's children)")
    print(f"burst drain                {drain_s:.1f} s (first finalize → last posted; "
          f"{len(burst)} of {len(m.burst_ids)} posted{'' if m.drained else ', NOT drained'})")
    print(f"  vs its own API calls     ≈ {own:.0f} calls / {args.rate:g}/s = {own_s:.1f} s; "
          f"ratio {drain_s / own_s if own_s else 0:.2f} (calls estimated at "
          f"{per_invoice:.2f} per invoice; the budget is shared with the other clients)")
    print(f"  vs every call meanwhile  {during} calls served during the drain / {args.rate:g}/s "
          f"= {during_s:.1f} s; ratio {drain_s / during_s if during_s else 0:.2f} "
          f"(target ≤ 1.05)")
    for name, values in classes.items():
        print(f"  {name:18} n={len(values):5}  p50 {percentile(values, 0.5):6.1f} s  "
              f"p95 {percentile(values, 0.95):6.1f} s")
    return {
        "set-up s": sum(phases.seconds.values()),
        "drained in s": m.elapsed,
        "rate / limit, drain": tally.rate / args.rate,
        "rate / limit, busy": busy_rate / args.rate,
        "429s": len(tally.refused),
        "API calls per invoice": per_invoice,
        "statements per document": None if statements is None else statements / documents,
        "limiter+cache stmts per doc": by_class["shared cache"] / documents if statements else None,
        "sessions per 100 documents": None if sessions is None else 100 * sessions / documents,
        "cluster CPU ms per document": 1000 * m.cpu / documents,
        "peak MiB per worker": m.peak,
        "burst drain / own calls": drain_s / own_s if own_s else None,
        "burst drain / calls meanwhile": drain_s / during_s if during_s else None,
        **{f"{name} p95 s": percentile(values, 0.95) for name, values in classes.items()},
    }


def compare(small: int, large: int, figures: list[dict]) -> None:
    print(f"\ncompared: {small} → {large} clients")
    for name in figures[0]:
        a, b = figures[0][name], figures[1][name]
        if a is None or b is None:
            print(f"  {name:30} {'unknown':>10} {'unknown':>10}")
            continue
        ratio = f"× {b / a:.2f}" if a else ""
        print(f"  {name:30} {a:10.2f} {b:10.2f}  {ratio}")


def main(argv=None) -> None:
    args = parse_args(argv)
    sandbox = SandboxProcess(rate=args.rate, latency=args.latency, jitter=args.jitter,
                             port=args.sandbox_port or None)  # fmt: skip
    configure(args, sandbox.url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [args.compare, args.clients] if args.compare else [args.clients]
    figures = []
    with sandbox:
        for size in sizes:
            figures.append(run_once(argparse.Namespace(**{**vars(args), "clients": size}),
                                    sandbox))  # fmt: skip
            print(flush=True)
    if len(figures) == 2:
        compare(*sizes, figures)


if __name__ == "__main__":
    main()
