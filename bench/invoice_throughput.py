"""Invoice throughput against the PowerOffice sandbox (issues 5, 19): figures, no assertions.

    .venv/bin/python bench/invoice_throughput.py                       # 2,000 invoices, 10/s
    .venv/bin/python bench/invoice_throughput.py --invoices 300 --rate 50 --workers 8

Runs on a throw-away test database (DATABASE_URL decides SQLite or PostgreSQL) and the sandbox
in its own process (`bench/harness.py`), enforcing the rate limit per subscription key, with
100 ms ± 20 ms round trips by default. Setup finalizes the invoices (transfers queued, not run)
and exports every customer and project once. Then the token and look-up caches are emptied and
the clock starts: `--workers` threads (each its own database connection, as the workers of a
cluster) run the invoice transfers; a transfer the engine backs off waits until it is due, as
it would in production. Printed: invoices per second; requests served, 429s apart (not counted
as achieved), achieved rate / limit and the busiest one-second window; API calls per invoice;
SQL statements and new database connections per invoice on every connection of the process
(the rate limiter's claims included: INTEGRATIONS_RATE_LIMIT_BACKEND and CACHE_URL decide
where they go); CPU ms per invoice of this process (the sandbox runs elsewhere); peak memory;
invoices not posted exactly once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000, help="invoices in total")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice")
    parser.add_argument("--clients", type=int, default=3, help="Ledgerbridge clients")
    parser.add_argument("--customers", type=int, default=10, help="customers per client")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s (PowerOffice: 10)")
    parser.add_argument("--latency", type=float, default=0.1, help="API round trip, seconds")
    parser.add_argument("--jitter", type=float, default=0.02, help="± seconds per round trip")
    parser.add_argument("--workers", type=int, default=4, help="threads running transfers")
    parser.add_argument(
        "--budget", type=float, default=1.0,
        help="share of the limit the client is told (the limiter keeps its own jitter margin, "
             "INTEGRATIONS_RATE_LIMIT_MARGIN)",
    )  # fmt: skip
    parser.add_argument(
        "--skew", action="store_true",
        help="one big client: client 0 gets every invoice but one per other client (a month-end "
             "run); the others' invoices are queued last and their wait is reported",
    )  # fmt: skip
    parser.add_argument(
        "--fifo", action="store_true",
        help="run transfers first come, first served (as before issue 19) instead of the fair "
             "dispatcher (integrations.fairness)",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="list the statements run most often (per invoice)")  # fmt: skip
    return parser.parse_args()


def setup_django(rate: float, budget: float):
    import django
    from django.conf import settings

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):  # threads need a file, not shared memory
        import tempfile

        database.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    settings.POWEROFFICE_RATE_LIMIT = rate * budget
    settings.POWEROFFICE_APPLICATION_KEY = settings.POWEROFFICE_SUBSCRIPTION_KEY = ""
    return setup_databases(verbosity=0, interactive=False)


def start_sandbox(args, client_keys: list[str]):
    from django.conf import settings
    from harness import SandboxProcess

    sandbox = SandboxProcess(rate=args.rate, latency=args.latency, jitter=args.jitter)
    sandbox.__enter__()
    sandbox.add_clients(client_keys)
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": sandbox.url}
    return sandbox


def make_client_books(index: int, args, client_key: str):
    """One client with its account plan, customers, projects and a sandbox connection."""
    from accounting.models import Account, Client, Customer, Project, VatCode
    from accounting.services import record_save
    from integrations.models import Connection, System

    client = Client.objects.create(
        name=f"Bench {index} AS", organization_number=f"{990000000 + index}"
    )
    vat = VatCode.objects.create(client=client, code="3", name="High", rate=Decimal("25"))
    Account.objects.create(
        client=client, number=3000, name="Sales", vat_code=vat, external_vat_code="3"
    )
    Connection.objects.create(
        client=client, system=System.POWEROFFICE, mode="sandbox", enabled=True,
        secrets={"client_key": client_key},
    )  # fmt: skip
    for n in range(args.customers):
        customer = record_save(record=Customer(
            client=client, number=10000 + n, name=f"Customer {n}", organization_number="",
            postcode="0150", city="Oslo",
        ))  # fmt: skip
        record_save(record=Project(client=client, number=f"P-{n}", name=f"Project {n}",
                                   customer=customer))  # fmt: skip
    return client


def finalize_invoices(clients, args) -> None:
    """Draft and finalize the invoices; the transfers are queued, not run (nothing scheduled)."""
    from accounting.models import Account, Invoice, InvoiceLine, Project
    from accounting.services import invoice_finalize

    projects = {
        c.pk: list(Project.objects.filter(client=c).select_related("customer")) for c in clients
    }
    owners = [clients[i % len(clients)] for i in range(args.invoices)]
    if args.skew:  # the big client's run first, one invoice of each other client after it
        owners = [clients[0]] * (args.invoices - len(clients) + 1) + clients[1:]
    for i, client in enumerate(owners):
        project = projects[client.pk][(i // len(clients)) % len(projects[client.pk])]
        account = Account.objects.get(client=client, number=3000)
        invoice = Invoice.objects.create(client=client, customer=project.customer, project=project,
                                         description=f"Bench invoice {i}")  # fmt: skip
        for n in range(args.lines):
            line = InvoiceLine(
                client=client, invoice=invoice, line_no=n + 1, account=account,
                description=f"Item {n}", quantity=Decimal("2"), unit_price=Decimal("450.00"),
                discount_percent=Decimal("5"),
            )  # fmt: skip
            line.compute_amounts()
            line.save()
        invoice_finalize(invoice=invoice, by=None)


def run_fair(workers: int) -> None:
    """Run every due transfer with `workers` threads, each a cluster worker's loop: claim the
    next transfer in fair order (integrations.fairness), run it, again; a thread that finds
    nothing due waits until the next backed-off transfer is due."""
    import threading

    from django.db import connections
    from django.db.models import Min
    from django.utils import timezone

    from integrations.engine import _transfer_run, transfer_claim_next
    from integrations.models import Transfer

    def worker() -> None:
        try:
            while True:
                transfer = transfer_claim_next()
                if transfer is not None:
                    _transfer_run(transfer)
                    continue
                pending = Transfer.objects.filter(status__in=["pending", "running"])
                nxt = pending.aggregate(at=Min("next_attempt_at"))["at"]
                if nxt is None:
                    return
                time.sleep(min(0.5, max(0.01, (nxt - timezone.now()).total_seconds())))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_transfers(kinds, workers: int = 1) -> None:
    """Run every pending transfer of these kinds with `workers` threads until none is left. A
    transfer the engine backed off (429, 5xx) runs again when it is due, not before."""
    import queue
    import threading

    from django.db import connections
    from django.db.models import Min
    from django.utils import timezone

    from integrations.engine import transfer_process
    from integrations.models import Transfer

    pending = Transfer.objects.filter(kind__in=kinds, status="pending")
    work: queue.Queue = queue.Queue()

    def worker() -> None:
        try:
            while (transfer_id := work.get()) is not None:
                try:
                    transfer_process(transfer_id)
                finally:
                    work.task_done()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        while True:
            due = list(pending.filter(next_attempt_at__lte=timezone.now())
                       .order_by("pk").values_list("pk", flat=True))  # fmt: skip
            for transfer_id in due:
                work.put(transfer_id)
            work.join()  # every handed-out transfer finished (succeeded, failed or backed off)
            if not due:
                nxt = pending.aggregate(at=Min("next_attempt_at"))["at"]
                if nxt is None:
                    break
                time.sleep(min(1.0, max(0.01, (nxt - timezone.now()).total_seconds())))
    finally:
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()


def check_exactly_once(sandbox, client_keys, clients) -> list[str]:
    from accounting.models import Invoice

    problems = []
    for key, client in zip(client_keys, clients, strict=True):
        posted = Counter(v["InvoiceNo"] for v in sandbox.books(key)["vouchers"])
        for number in Invoice.objects.filter(client=client).values_list("number", flat=True):
            if posted[str(number)] != 1:
                problems.append(
                    f"{client.name} invoice {number}: posted {posted[str(number)]} times"
                )
    return problems


def main() -> None:
    args = parse_args()
    old_config = setup_django(args.rate, args.budget)
    from django.test.utils import teardown_databases
    from harness import ApiTally, StatementCounter, close_everything

    from integrations import outbox
    from integrations.models import Transfer
    from integrations.poweroffice.auth import TOKENS
    from integrations.poweroffice.lookups import lookups_clear

    outbox.transfer_schedule = lambda transfer_id: None  # queue only; this script runs them
    client_keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    sandbox = start_sandbox(args, client_keys)
    try:
        clients = [make_client_books(i, args, key) for i, key in enumerate(client_keys)]
        finalize_invoices(clients, args)
        Transfer.objects.filter(kind__in=["invoice", "credit_note"]).update(status="cancelled")
        run_transfers(["customer", "project"], args.workers)  # registers, once, before
        Transfer.objects.filter(kind="invoice").update(status="pending")
        TOKENS.clear()  # tokens and look-ups are part of the measured work
        lookups_clear()
        close_everything()
        sandbox.clear_requests()
        counter = StatementCounter().install()
        if args.profile:
            counter.profile()
        tracemalloc.start()
        started, cpu = time.monotonic(), time.process_time()
        if args.fifo:
            run_transfers(["invoice"], args.workers)
        else:
            run_fair(args.workers)
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        statements, opened = counter.snapshot()
        tally = ApiTally(sandbox.requests(), elapsed, args.rate)
        report(args, tally, statements, opened, cpu, peak,
               check_exactly_once(sandbox, client_keys, clients), counter)  # fmt: skip
    finally:
        sandbox.__exit__(None, None, None)
        close_everything()
        teardown_databases(old_config, verbosity=0)


def report(args, tally, statements, opened, cpu, peak, problems, counter) -> None:
    from integrations.models import Transfer

    done = Transfer.objects.filter(kind="invoice", status="succeeded").count() or 1
    print(
        f"invoices posted            {done} of {args.invoices}, {args.lines} lines, "
        f"{args.clients} clients, {args.workers} workers, latency {args.latency * 1000:.0f} "
        f"± {args.jitter * 1000:.0f} ms"
    )
    print(f"invoices per second        {done / tally.elapsed:.2f}  ({tally.elapsed:.1f} s)")
    for line in tally.lines():
        print(line)
    print(
        f"API calls per invoice      {tally.calls(tokens=False) / done:.2f} "
        f"(+ {(tally.calls() - tally.calls(tokens=False))} token requests in all)"
    )
    print(
        f"SQL statements per invoice {statements / done:.1f} (every connection of the process); "
        f"new connections {opened} ({opened / done * 100:.1f} per 100 invoices)"
    )
    from integrations.ratelimit import _limiters

    missed = sum(getattr(limiter, "missed", 0) for limiter in _limiters.values())
    print(f"limiter ticks missed       {missed} (a sender woke > 5 ms late; tick left unused)")
    print(f"CPU per invoice            {cpu / done * 1000:.1f} ms (this process)")
    print(f"peak memory (tracemalloc)  {peak / 1024 / 1024:.1f} MiB")
    print(f"not posted exactly once    {len(problems)}")
    for problem in problems[:20]:
        print(f"  {problem}")
    for shape, n in counter.top():
        print(f"  {n / done:6.2f}  {shape}")
    for transfer in Transfer.objects.filter(kind="invoice").exclude(status="succeeded")[:10]:
        print(f"  transfer {transfer.pk} {transfer.status}: {transfer.last_error[:300]}")
    if args.skew:
        from harness import percentile

        invoices = Transfer.objects.filter(kind="invoice", started_at__isnull=False)
        clock_start = invoices.order_by("started_at").values_list("started_at", flat=True)[0]
        first = Transfer.objects.filter(kind="invoice").order_by("pk").first().client_id
        for label, rows in (
            ("big client", Transfer.objects.filter(kind="invoice", client_id=first)),
            ("other clients", Transfer.objects.filter(kind="invoice").exclude(client_id=first)),
        ):
            waits = [(t - clock_start).total_seconds() for t in rows.values_list(
                "finished_at", flat=True) if t]  # fmt: skip
            print(f"queued → posted, {label:13} p50 {percentile(waits, 0.5):6.1f} s, p95 "
                  f"{percentile(waits, 0.95):6.1f} s, last {max(waits):6.1f} s ({len(waits)})")
    limited = Counter(f"{r['method']} {r['path']}" for r in tally.refused)
    if limited:
        print(f"  429 answers: {dict(limited)}")


if __name__ == "__main__":
    main()
