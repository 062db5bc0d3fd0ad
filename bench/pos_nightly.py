"""Benchmark: the nightly POS batch of many clients against the PowerOffice sandbox.

    .venv/bin/python bench/pos_nightly.py                       # 50 clients x 200 sales, 10 req/s
    .venv/bin/python bench/pos_nightly.py --clients 5 --sales 20 --rate 50   # a quick run

Uses a fresh SQLite database in a temporary directory (or DATABASE_URL if --use-database-url),
starts the sandbox with the documented limit of 10 requests/s per subscription key (shared by
all clients, as in PowerOffice Go v2), runs every client's batch one after another through the
engine, and prints: total time, achieved request rate / limit, database queries per sale, peak
memory (tracemalloc) and the sales not sent exactly once (target: none). No assertions on time.
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


def _client_world(books, index: int, sales: int, client_key: str):
    from accounting.models import Client, Customer
    from integrations.models import Connection, System
    from pos.models import PosSale as Sale
    from pos.models import PosSaleLine, PosSettings

    client = Client.objects.create(name=f"Bench {index} AS", organization_number=f"97{index:07d}")
    Connection.objects.create(client=client, system=System.POWEROFFICE, mode="sandbox",
                              enabled=True, secrets={"client_key": client_key})
    ids = [books.register("Products").create({"Code": f"P{k}", "Name": f"P{k}"})["Id"]
           for k in range(6)]
    PosSettings.objects.create(
        client=client, enabled=True, enabled_since=dt.date(2025, 1, 1), product_id_vat_0=ids[0],
        product_id_vat_12=ids[1], product_id_vat_15=ids[2], product_id_vat_25=ids[3],
        gratuity_product_id=ids[4], invoice_fee_product_id=ids[5],
    )
    customers = []
    for n in range(5):
        customer = Customer.objects.create(client=client, number=10000 + n, name=f"Kunde {n}")
        books.create_contact("Customers", {"Name": customer.name, "Number": customer.number})
        customers.append(customer)
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
    from django.db import connection, reset_queries

    from integrations.poweroffice import sandbox
    from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
    from integrations.sandbox.server import SandboxServer
    from pos.batch import pos_batch_run
    from pos.models import PosSale

    keys = [str(uuid.uuid4()) for _ in range(args.clients)]
    config = SandboxConfig(rate_limit=args.rate,
                           clients={k: {"name": f"Bench {i}"} for i, k in enumerate(keys)})
    app = PowerOfficeSandbox(config=config)
    with SandboxServer(app) as server:
        settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": server.url}
        settings.POWEROFFICE_RATE_LIMIT = args.rate
        settings.DEBUG = True  # count queries
        settings.POWEROFFICE_APPLICATION_KEY = sandbox.DEFAULT_APPLICATION_KEY
        settings.POWEROFFICE_SUBSCRIPTION_KEY = sandbox.DEFAULT_SUBSCRIPTION_KEY
        clients = [_client_world(app.books_for(k), i, args.sales, k) for i, k in enumerate(keys)]
        app.log.clear()
        tracemalloc.start()
        reset_queries()
        started, queries = time.monotonic(), 0
        for client in clients:
            pos_batch_run(client=client, business_date=NIGHT)
            queries += len(connection.queries)
            reset_queries()
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        requests = len(app.log.as_json())
        refused = sum(1 for r in app.log.as_json() if r["status"] == 429)
        _report(app, keys, clients, elapsed, requests, refused, queries, peak, args, PosSale)


def _report(app, keys, clients, elapsed, requests, refused, queries, peak, args, sale_model):
    total = args.clients * args.sales
    orders: dict[str, int] = {}
    for key in keys:
        for order in app.books_for(key).sales_orders.values():
            reference = order["ExternalImportReference"]
            orders[reference] = orders.get(reference, 0) + 1
    from integrations.poweroffice.pos import pos_sale_reference

    not_once = sum(
        1 for sale in sale_model.objects.filter(client__in=clients)
        if orders.get(pos_sale_reference(sale), 0) != 1 or sale.status != "sent"
    )
    rate = requests / elapsed if elapsed else 0.0
    print(f"clients x sales        {args.clients} x {args.sales} = {total}")
    print(f"total time             {elapsed:.1f} s")
    print(f"requests               {requests} ({refused} answered 429)")
    print(f"request rate / limit   {rate:.2f} / {args.rate:.2f} req/s = {rate / args.rate:.0%}")
    print(f"queries per sale       {queries / total:.1f}")
    print(f"peak memory            {peak / 1_048_576:.1f} MiB (tracemalloc)")
    print(f"sales not sent exactly once: {not_once} (target: 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sales", type=int, default=200, help="invoice sales per client")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="requests/s per subscription key (PowerOffice Go v2: 10)")
    parser.add_argument("--use-database-url", action="store_true",
                        help="use DATABASE_URL (e.g. PostgreSQL) instead of a temporary SQLite")
    args = parser.parse_args()
    _setup_django(args.use_database_url)
    _run(args)


if __name__ == "__main__":
    main()
