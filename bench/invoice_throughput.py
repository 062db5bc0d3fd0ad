"""Invoice throughput against the PowerOffice sandbox (issue 5). Prints figures; asserts nothing.

    .venv/bin/python bench/invoice_throughput.py                       # 2,000 invoices, 10/s
    .venv/bin/python bench/invoice_throughput.py --invoices 200 --rate 50

Runs on a throw-away test database and an in-process sandbox on a free port, with one
PowerOffice client key per Ledgerbridge client and the sandbox enforcing the rate limit. Phase 1
finalizes the invoices (transfers queued, not run) and exports every customer and project once;
phase 2 runs the invoice transfers one after another, as one worker would, and is what is
measured: invoices per second, API calls per invoice, achieved request rate / limit, database
queries per invoice (per transfer, min/mean/max), peak memory, and any invoice not posted
exactly once (sandbox vouchers compared with the database).
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000, help="invoices in total")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice")
    parser.add_argument("--clients", type=int, default=3, help="Ledgerbridge clients")
    parser.add_argument("--customers", type=int, default=10, help="customers per client")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s (PowerOffice: 10)")
    parser.add_argument(
        "--budget", type=float, default=1.0,
        help="share of the limit the client is told (the limiter keeps its own jitter margin, "
             "INTEGRATIONS_RATE_LIMIT_MARGIN)",
    )  # fmt: skip
    return parser.parse_args()


def setup_django(rate: float, budget: float):
    import django
    from django.conf import settings

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    settings.POWEROFFICE_RATE_LIMIT = rate * budget
    settings.POWEROFFICE_APPLICATION_KEY = settings.POWEROFFICE_SUBSCRIPTION_KEY = ""
    return setup_databases(verbosity=0, interactive=False)


def start_sandbox(rate: float, client_keys: list[str]):
    from django.conf import settings

    from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
    from integrations.sandbox.server import SandboxServer

    clients = {key: {"name": f"Bench client {i}"} for i, key in enumerate(client_keys)}
    server = SandboxServer(
        PowerOfficeSandbox(config=SandboxConfig(rate_limit=rate, clients=clients))
    )
    server.start()
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": server.url}
    return server


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
    for i in range(args.invoices):
        client = clients[i % len(clients)]
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


def run_transfers(kinds) -> list[int]:
    """Process every pending transfer of these kinds; returns the query count of each."""

    from django.utils import timezone

    from integrations.models import Transfer

    counts = []
    pending = Transfer.objects.filter(kind__in=kinds, status="pending")
    while pending.exists():  # a transfer the engine backed off (429 storm) runs again at once
        pending.update(next_attempt_at=timezone.now())
        counts += _run_once(kinds)
    return counts


def _run_once(kinds) -> list[int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.engine import transfer_process
    from integrations.models import Transfer

    counts = []
    ids = list(
        Transfer.objects.filter(kind__in=kinds, status="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for transfer_id in ids:
        connection.queries_log.clear()  # the log is bounded; counts must not hit its limit
        with CaptureQueriesContext(connection) as queries:
            transfer_process(transfer_id)
        counts.append(len(queries))
    return counts


def check_exactly_once(server, client_keys, clients) -> list[str]:
    from accounting.models import Invoice

    problems = []
    for key, client in zip(client_keys, clients, strict=True):
        posted = Counter(v["InvoiceNo"] for v in server.app.books_for(key).vouchers.values())
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

    from integrations import outbox
    from integrations.models import Transfer

    outbox.transfer_schedule = lambda transfer_id: None  # queue only; this script runs them
    client_keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    server = start_sandbox(args.rate, client_keys)
    try:
        clients = [make_client_books(i, args, key) for i, key in enumerate(client_keys)]
        finalize_invoices(clients, args)
        Transfer.objects.filter(kind__in=["invoice", "credit_note"]).update(status="cancelled")
        run_transfers(["customer", "project"])  # registers exported once, before the clock
        Transfer.objects.filter(kind="invoice").update(status="pending")
        warm = server.app.log.items()
        calls_before = len(warm)
        tracemalloc.start()
        started = time.monotonic()
        queries = run_transfers(["invoice"])
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        log = server.app.log.items()[calls_before:]
        api_calls = [r for r in log if "/oauth/token" not in r.path.lower()]
        report(
            args,
            elapsed,
            api_calls,
            log,
            queries,
            peak,
            check_exactly_once(server, client_keys, clients),
        )
    finally:
        server.stop()
        teardown_databases(old_config, verbosity=0)


def report(args, elapsed, api_calls, log, queries, peak, problems) -> None:
    from integrations.models import Transfer

    done = Transfer.objects.filter(kind="invoice", status="succeeded").count() or 1
    statuses = Counter(r.status for r in log)
    writes = [r for r in api_calls if r.method != "GET"]
    rate = len(log) / elapsed if elapsed else 0.0
    steady = sorted(queries)[len(queries) // 2]
    print(
        f"invoices posted            {done} of {args.invoices}, {args.lines} lines, "
        f"{args.clients} clients"
    )
    print(f"invoices per second        {done / elapsed:.2f}  ({elapsed:.1f} s)")
    print(
        f"API calls per invoice      {len(api_calls) / done:.2f} in all, {len(writes) / done:.2f} "
        f"writes (GETs are cached lookups); statuses {dict(statuses)}"
    )
    print(f"request rate / limit       {rate:.2f}/s / {args.rate:.2f}/s = {rate / args.rate:.0%}")
    print(
        f"DB queries per invoice     median {steady}, mean {sum(queries) / len(queries):.1f}, "
        f"min {min(queries)}, max {max(queries)} (first invoice of each client)"
    )
    print(f"peak memory (tracemalloc)  {peak / 1024 / 1024:.1f} MiB")
    print(f"not posted exactly once    {len(problems)}")
    for problem in problems[:20]:
        print(f"  {problem}")
    for transfer in Transfer.objects.filter(kind="invoice").exclude(status="succeeded")[:10]:
        print(f"  transfer {transfer.pk} {transfer.status}: {transfer.last_error[:300]}")
    if os.environ.get("BENCH_DEBUG"):
        times = [r.at for r in log]
        for i, r in enumerate(log):
            if r.status == 429:
                window = [t for t in times[max(0, i - 15) : i + 1] if t > r.at - 1.0]
                print("  429 at", round(r.at, 3), "in last 1 s:", len(window),
                      [round(t - r.at, 3) for t in window])  # fmt: skip
    limited = Counter(f"{r.method} {r.path}" for r in log if r.status == 429)
    if limited:
        print(f"  429 answers: {dict(limited)}")


if __name__ == "__main__":
    main()
