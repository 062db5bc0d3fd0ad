"""The sync log's admin with a million transfers: seeds them, then times the real changelist
(Django test client, logged in) unfiltered and per filter, and prints the query plans of the
sweep and the filters. Prints figures; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:54329/synclog .venv/bin/python \\
        bench/synclog_admin.py --use-database-url               # 1,000,000 transfers (flushed DB)
    .venv/bin/python bench/synclog_admin.py --transfers 100000  # temporary SQLite, smaller

PostgreSQL is the recommended production database; with SQLite the plans are printed with
EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ["invoice", "credit_note", "customer", "project", "pos_batch", "expense_import"]
STATUSES = ["succeeded"] * 90 + ["skipped"] * 5 + ["failed"] * 3 + ["pending"] * 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20_000, help="rows per bulk_create")
    parser.add_argument("--use-database-url", action="store_true",
                        help="use DATABASE_URL (PostgreSQL; it is flushed) instead of SQLite")
    return parser.parse_args()


def setup(args) -> None:
    if not args.use_database_url:
        path = Path(tempfile.mkdtemp(prefix="synclog-")) / "synclog.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "ERROR"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if args.use_database_url:
        call_command("flush", interactive=False, verbosity=0)


def seed(args) -> list:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from accounting.models import Client
    from integrations.models import Connection, Transfer

    rng = random.Random(1)  # noqa: S311 - not crypto
    clients = Client.objects.bulk_create(
        [Client(name=f"Client {i}", organization_number=f"9{i:08d}") for i in range(args.clients)]
    )
    connections = Connection.objects.bulk_create(
        [Connection(client=c, system="poweroffice" if i % 3 else "azets", enabled=True,
                    secrets={}) for i, c in enumerate(clients)]
    )  # fmt: skip
    content_type = ContentType.objects.get_for_model(Client)
    now, started = timezone.now(), time.monotonic()
    for start in range(0, args.transfers, args.batch):
        rows = []
        for n in range(start, min(start + args.batch, args.transfers)):
            connection = connections[n % len(connections)]
            status = rng.choice(STATUSES)
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            rows.append(Transfer(
                client_id=connection.client_id, connection=connection, kind=rng.choice(KINDS),
                content_type=content_type, object_id=n, object_number=str(100000 + n),
                object_repr=f"Invoice {100000 + n}", status=status, created_at=created,
                next_attempt_at=created, started_at=created,
                finished_at=None if status == "pending" else created,
            ))  # fmt: skip
        Transfer.objects.bulk_create(rows)
    print(f"seeded {args.transfers:,} transfers for {args.clients} clients in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    return clients


def timed_get(browser, url: str, repeat: int = 3) -> tuple[float, int]:
    times, status = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = browser.get(url)
        times.append(time.perf_counter() - started)
        status = response.status_code
    return statistics.median(times) * 1000, status


def admin_timings(clients) -> None:
    from django.contrib.auth.models import User
    from django.test import Client as Browser
    from django.utils import timezone

    user = User.objects.create_superuser("bench", "bench@example.com", "x")
    browser = Browser()
    browser.force_login(user)
    base = "/admin/integrations/transfer/"
    from urllib.parse import quote

    week = quote((timezone.now() - timedelta(days=7)).isoformat(timespec="seconds"))
    cases = {
        "unfiltered (first page)": base,
        "status = failed": f"{base}?status__exact=failed",
        "kind = invoice": f"{base}?kind__exact=invoice",
        "system = azets": f"{base}?connection__system__exact=azets",
        "client = one client": f"{base}?client__id__exact={clients[7].pk}",
        "created in the last 7 days": f"{base}?created_at__gte={week}",
        "status + kind + client": f"{base}?status__exact=failed&kind__exact=invoice"
                                  f"&client__id__exact={clients[7].pk}",
        "search number =100123": f"{base}?q=100123",
        "page 200": f"{base}?p=200",
    }  # fmt: skip
    print("\nadmin changelist (median of 3, ms)")
    for label, url in cases.items():
        ms, status = timed_get(browser, url)
        print(f"  {label:<30} {ms:8.1f} ms  (HTTP {status})")


def plans() -> None:
    from django.db import connection
    from django.utils import timezone

    from integrations.models import Transfer
    from integrations.selectors import transfers_due, transfers_stale_running

    now = timezone.now()
    queries = {
        "sweep: due pending": transfers_due(now=now)[:500],
        "reaper: stale running": transfers_stale_running(cutoff=now - timedelta(minutes=15)),
        "list: status=failed": Transfer.objects.filter(status="failed")
        .order_by("-created_at", "-pk")[:100],
        "list: kind=invoice": Transfer.objects.filter(kind="invoice")
        .order_by("-created_at", "-pk")[:100],
        "list: client": Transfer.objects.filter(client_id=1).order_by("-created_at", "-pk")[:100],
        "prune: old succeeded": Transfer.objects.filter(
            status__in=["succeeded", "skipped", "cancelled"],
            created_at__lt=now - timedelta(days=90),
        ).order_by("pk").values("pk")[:1000],
    }
    print(f"\nquery plans ({connection.vendor})")
    for label, queryset in queries.items():
        plan = queryset.explain()
        lines = [line.strip() for line in plan.splitlines() if line.strip()]
        print(f"  {label}: " + " | ".join(lines[:4]))


def main() -> None:
    args = parse_args()
    setup(args)
    clients = seed(args)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE integrations_transfer")
    admin_timings(clients)
    plans()


if __name__ == "__main__":
    main()
