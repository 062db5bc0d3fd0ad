"""Benchmark: the nightly POS batch of many clients against the PowerOffice sandbox.

    .venv/bin/python bench/pos_nightly.py                       # 50 clients x 200 sales, 10 req/s
    .venv/bin/python bench/pos_nightly.py --clients 5 --sales 20 --rate 50   # a quick run

Uses a fresh SQLite database in a temporary directory (or DATABASE_URL if --use-database-url),
starts the sandbox in its own process (`bench/harness.py`) with the documented limit of 10
requests/s per subscription key (shared by all clients, as in PowerOffice Go v2) and 100 ms ±
20 ms round trips, runs every client's batch one after another through the engine, and prints:
total time, requests served and 429s apart (not counted as achieved), achieved rate / limit,
SQL statements per sale on every connection of the process (not Django's query log, which
stops at 9,000), peak memory (tracemalloc, with --memory only: tracing every allocation slows
the run by a sixth, which the rate would count) and the sales not sent exactly once (target:
none).
No assertions on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
NIGHT = dt.date(2025, 3, 14)


def _setup_django(use_database_url: bool) -> None:
    if not use_database_url:
        path = Path(tempfile.mkdtemp(prefix="pos-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def _seed(sandbox, client_key: str, register: str, rows: list[dict]) -> list[dict]:
    data = {"client_key": client_key, "register": register, "rows": rows}
    return sandbox.control("seed/register_rows", data)["rows"]


def _client_world(sandbox, index: int, sales: int, client_key: str):
    from accounting.models import Client, Customer
    from integrations.models import Connection, System
    from pos.models import PosSale as Sale
    from pos.models import PosSaleLine, PosSettings

    client = Client.objects.create(name=f"Bench {index} AS", organization_number=f"97{index:07d}")
    Connection.objects.create(client=client, system=System.POWEROFFICE, mode="sandbox",
                              enabled=True, secrets={"client_key": client_key})
    ids = [row["Id"] for row in _seed(sandbox, client_key, "Products",
                                      [{"Code": f"P{k}", "Name": f"P{k}"} for k in range(6)])]
    PosSettings.objects.create(
        client=client, enabled=True, enabled_since=dt.date(2025, 1, 1), product_id_vat_0=ids[0],
        product_id_vat_12=ids[1], product_id_vat_15=ids[2], product_id_vat_25=ids[3],
        gratuity_product_id=ids[4], invoice_fee_product_id=ids[5],
    )
    customers = [Customer.objects.create(client=client, number=10000 + n, name=f"Kunde {n}")
                 for n in range(5)]
    _seed(sandbox, client_key, "Customers",
          [{"Name": c.name, "Number": c.number} for c in customers])
    sold_at = dt.datetime(2025, 3, 14, 20, tzinfo=dt.UTC)
    rows = Sale.objects.bulk_create([
        Sale(client=client, number=str(n), till="Kasse", sold_at=sold_at,
             customer=customers[n % 5], gratuity_amount=Decimal("10") * (n % 2))
        for n in range(1, sales + 1)
    ])
    PosSaleLine.objects.bulk_create(
        [PosSaleLine(sale=s, line_no=1, amount_incl_vat=Decimal("125.00"), vat_rate=25)
         for s in rows]
        + [PosSaleLine(sale=s, line_no=2, amount_incl_vat=Decimal("115.00"), vat_rate=15)
           for s in rows]
    )
    return client


def _run(args) -> None:
    from django.conf import settings
    from harness import ApiTally, SandboxProcess, StatementCounter, close_everything

    from integrations.poweroffice import sandbox as po_sandbox
    from pos.batch import pos_batch_run
    from pos.models import PosSale

    keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    with SandboxProcess(rate=args.rate, latency=args.latency, jitter=args.jitter) as sandbox:
        sandbox.add_clients(keys)
        settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": sandbox.url}
        settings.POWEROFFICE_RATE_LIMIT = args.rate
        settings.POWEROFFICE_APPLICATION_KEY = po_sandbox.DEFAULT_APPLICATION_KEY
        settings.POWEROFFICE_SUBSCRIPTION_KEY = po_sandbox.DEFAULT_SUBSCRIPTION_KEY
        clients = [_client_world(sandbox, i, args.sales, k) for i, k in enumerate(keys)]
        sandbox.clear_requests()
        counter = StatementCounter().install()
        if args.memory:
            tracemalloc.start()
        started = time.monotonic()
        for client in clients:
            pos_batch_run(client=client, business_date=NIGHT)
        elapsed = time.monotonic() - started
        peak = None
        if args.memory:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        statements, opened = counter.snapshot()
        tally = ApiTally(sandbox.requests(), elapsed, args.rate)
        _report(sandbox, keys, clients, tally, statements, opened, peak, args, PosSale)
    close_everything()


def _report(sandbox, keys, clients, tally, statements, opened, peak, args, sale_model):
    total = args.clients * args.sales
    orders: dict[str, int] = {}
    for key in keys:
        for order in sandbox.books(key)["sales_orders"]:
            reference = order["ExternalImportReference"]
            orders[reference] = orders.get(reference, 0) + 1
    from integrations.poweroffice.pos import pos_sale_reference

    not_once = sum(
        1 for sale in sale_model.objects.filter(client__in=clients)
        if orders.get(pos_sale_reference(sale), 0) != 1 or sale.status != "sent"
    )
    print(f"clients x sales        {args.clients} x {args.sales} = {total}, latency "
          f"{args.latency * 1000:.0f} ± {args.jitter * 1000:.0f} ms")
    print(f"total time             {tally.elapsed:.1f} s")
    for line in tally.lines():
        print(line)
    print(f"statements per sale    {statements / total:.1f} (every connection); "
          f"new connections {opened}")
    if peak is None:
        print("peak memory            not traced (--memory traces it, and slows the run)")
    else:
        print(f"peak memory            {peak / 1_048_576:.1f} MiB (tracemalloc; the rate above "
              "is slowed by the tracing)")
    print(f"sales not sent exactly once: {not_once} (target: 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sales", type=int, default=200, help="invoice sales per client")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="requests/s per subscription key (PowerOffice Go v2: 10)")
    parser.add_argument("--latency", type=float, default=0.1, help="API round trip, seconds")
    parser.add_argument("--jitter", type=float, default=0.02, help="± seconds per round trip")
    parser.add_argument("--memory", action="store_true",
                        help="trace peak Python memory (tracemalloc slows every allocation, so "
                             "the rate of such a run is not the product's)")
    parser.add_argument("--use-database-url", action="store_true",
                        help="use DATABASE_URL (e.g. PostgreSQL) instead of a temporary SQLite")
    args = parser.parse_args()
    _setup_django(args.use_database_url)
    _run(args)


if __name__ == "__main__":
    main()
