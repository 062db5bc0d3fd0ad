"""The sync log's admin at a million transfers: seeds them (with realistic error texts on the
failures), then times every list page and filter combination through the real admin (Django
test client, logged in, so the figure is server time: query, Python and rendering) and prints,
per page, the median time, the number of queries and the plan of its slowest query. The admin
index (the health dashboard) and a failed transfer's page are timed the same way.
Prints figures; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:54329/synclog .venv/bin/python \\
        bench/synclog_admin.py --use-database-url               # 1,000,000 transfers (flushed DB)
    .venv/bin/python bench/synclog_admin.py --transfers 100000  # temporary SQLite, smaller

On PostgreSQL the rows are loaded with COPY and the plans are EXPLAIN (ANALYZE, BUFFERS); on
SQLite they are bulk-created and the plans are EXPLAIN QUERY PLAN. `--reuse` keeps transfers
seeded by an earlier run of the same size (skips flushing and seeding).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ["invoice"] * 6 + ["credit_note", "customer", "customer", "project", "pos_batch",
                           "expense_import"]  # fmt: skip
STATUSES = ["succeeded"] * 90 + ["skipped"] * 5 + ["failed"] * 3 + ["pending"] * 2
FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Nora", "Emil", "Sofie", "Jonas", "Maja", "Henrik",
         "Ida", "Magnus", "Thea", "Sander", "Emma", "Aksel", "Frida", "Tobias", "Hedda", "Filip"]
LAST = ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
        "Kristiansen", "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen",
        "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen",
        "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen"]
SUFFIX = ["AS", "ANS", "Holding AS", "Eiendom AS", "Consult", "Bygg AS", "Regnskap", "DA"]


# ---------------------------------------------------------------------------------------------
# Realistic error texts: the causes the engine records, with numbers, lines and details varying
# ---------------------------------------------------------------------------------------------
def error_text(rng: random.Random, kind: str, number: str) -> str:
    """One failure's text; a few causes are common, most are rare (as in a real log)."""
    cause = rng.choices(range(9), weights=[30, 20, 12, 10, 8, 8, 5, 4, 3])[0]
    line = rng.randint(1, 12)
    if cause == 0:
        account = rng.choice([3000, 3010, 3100, 3200, 3400, 3600, 3900, 4300, 6540, 7140])
        return (f"{kind.title()} {number} line {line}: account {account} has no external VAT "
                "code. Set it on the account, then re-queue.")  # fmt: skip
    if cause == 1:
        field = rng.choice(["Lines[{l}].ProductCode", "Lines[{l}].Quantity", "CustomerCode",
                            "Lines[{l}].VatCode", "DeliveryDate", "Lines[{l}].DepartmentCode"])
        message = rng.choice(["The field is required.", "Must be greater than zero.",
                              "No product with this code exists.", "Unknown code.",
                              "The value is not valid for this client."])  # fmt: skip
        return (f"PowerOffice Go rejected {kind} {number} (ValidationRejected, HTTP 400): "
                f"Validation failed: {field.format(l=line - 1)}: {message} "
                '{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":'
                '"One or more validation errors occurred.","status":400,"traceId":"00-'
                f'{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-00"}}')  # fmt: skip
    if cause == 2:
        return ("Gave up after 8 attempts: PowerOffice Go unavailable (Unavailable, HTTP 503): "
                "Service Unavailable. The service is temporarily unable to handle the request.")
    if cause == 3:
        month = rng.choice(["2026-01-31", "2026-02-28", "2026-03-31", "2025-12-31"])
        return (f"{kind.title()} {number}: the voucher date {month} is in a period locked in "
                "PowerOffice Go (HTTP 400). Ask the accountant to open the period.")
    if cause == 4:
        return (f"Customer {number} is outside the customer number series configured in "
                "PowerOffice Go (ValidationRejected, HTTP 400): CustomerNo: Number "
                f"{number} is outside the customer number series.")  # fmt: skip
    if cause == 5:
        return (f"Invoice {number}: department {rng.choice(['10', '20', '30', '40'])} has no "
                "external id; export the department first (DataError).")
    if cause == 6:
        return (f"{rng.randint(1, 9)} of {rng.randint(20, 400)} records could not be imported\n"
                f"Expense {rng.randint(1000, 9999)}: account {rng.choice([4000, 6300, 6800])} "
                "is not in the chart of accounts\nPayment: no invoice with this number")
    if cause == 7:
        return (f"Conflict (HTTP 409): a voucher with import reference LB-{number} already "
                "exists and could not be looked up: NotFound (HTTP 404)")
    return (f"Unexpected error KeyError: '{rng.choice(['VatCode', 'Id', 'CustomerNo'])}' "
            f"while reading the answer for {kind} {number}")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Setup and seeding
# ---------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20_000, help="rows per COPY/bulk_create")
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per page")
    parser.add_argument("--use-database-url", action="store_true",
                        help="use DATABASE_URL (PostgreSQL; it is flushed) instead of SQLite")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the transfers of an earlier run with the same --transfers")
    parser.add_argument("--plan-lines", type=int, default=14, help="plan lines printed per page")
    return parser.parse_args()


def setup(args) -> bool:
    """Django up, schema migrated; True when existing data is reused."""
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
    from integrations.models import Transfer

    if args.reuse and Transfer.objects.count() == args.transfers:
        return True
    if args.use_database_url:
        call_command("flush", interactive=False, verbosity=0)
    return False


def seed_parties(args):
    from accounting.models import Client
    from integrations.models import Connection

    clients = Client.objects.bulk_create(
        [Client(name=f"{LAST[i % len(LAST)]} {SUFFIX[i % len(SUFFIX)]} {i}",
                organization_number=f"9{i:08d}") for i in range(args.clients)]
    )  # fmt: skip
    Connection.objects.bulk_create(
        [Connection(client=c, system="poweroffice" if i % 3 else "azets", enabled=True,
                    secrets={}) for i, c in enumerate(clients)]
    )  # fmt: skip


def transfer_rows(args, start: int, stop: int, rng: random.Random, context: dict):
    """Column values of transfers start..stop-1, in COLUMNS order."""
    from integrations.triage import error_signature

    now, connections = context["now"], context["connections"]
    for n in range(start, stop):
        connection = connections[n % len(connections)]
        status, kind = rng.choice(STATUSES), rng.choice(KINDS)
        # A year of history written in time order, as the outbox appends it; only what was
        # queued in the last two days still waits (the sweep has long sent anything older).
        age = (args.transfers - n) / args.transfers * 365 * 86400 + rng.randrange(600)
        if status == "pending" and age > 2 * 86400:
            status = "succeeded"
        created = now - timedelta(seconds=age)
        number = str(100000 + n)
        customer = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        error = error_text(rng, kind, number) if status == "failed" else ""
        if status == "pending" and rng.random() < 0.3:
            error = "PowerOffice Go unavailable (Unavailable, HTTP 503): Service Unavailable"
        external = ""
        if status == "succeeded":
            external = str(4_000_000 + n) if connection[2] == "poweroffice" else f"AZ-{n:08x}"
        yield (
            connection[1], connection[0], kind, "upsert", context["content_type"], n,
            f"{kind.replace('_', ' ').title()} {number} · {customer}", number, status,
            0 if status == "pending" else 1, created, external, error,
            error_signature(error, number) if status == "failed" else "", "{}", "{}", created,
            None if status == "pending" else created, None if status == "pending" else created,
        )  # fmt: skip


COLUMNS = [
    "client_id", "connection_id", "kind", "operation", "content_type_id", "object_id",
    "object_repr", "object_number", "status", "attempts", "next_attempt_at", "external_id",
    "last_error", "error_group", "params", "result", "created_at", "started_at", "finished_at",
]  # fmt: skip


def seed(args) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from accounting.models import Client
    from integrations.models import Connection

    seed_parties(args)
    rng = random.Random(1)  # noqa: S311 - not crypto
    context = {
        "now": timezone.now(),
        "content_type": ContentType.objects.get_for_model(Client).pk,
        "connections": list(Connection.objects.order_by("pk")
                            .values_list("pk", "client_id", "system")),
    }  # fmt: skip
    started = time.monotonic()
    for start in range(0, args.transfers, args.batch):
        rows = transfer_rows(args, start, min(start + args.batch, args.transfers), rng, context)
        if connection.vendor == "postgresql":
            _copy(connection, rows)
        else:
            _bulk_create(rows)
    print(f"seeded {args.transfers:,} transfers for {args.clients} clients in "
          f"{time.monotonic() - started:.0f} s ({connection.vendor})")  # fmt: skip


def _copy(connection, rows) -> None:
    connection.ensure_connection()
    sql = f"COPY integrations_transfer ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bulk_create(rows) -> None:
    from integrations.models import Transfer

    objects = [Transfer(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
    for transfer in objects:
        transfer.params, transfer.result = {}, {}
    Transfer.objects.bulk_create(objects)


def analyze() -> None:
    """What autovacuum does after a bulk load: statistics and the visibility map."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE) integrations_transfer")
        else:
            cursor.execute("ANALYZE")
    print(f"vacuum/analyze in {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
def pages() -> dict[str, str]:
    from django.utils import timezone

    from accounting.models import Client
    from integrations.models import Transfer
    from integrations.triage import failure_groups

    base = "/admin/integrations/transfer/"
    client = Client.objects.order_by("pk")[7].pk
    week = quote((timezone.now() - timedelta(days=7)).isoformat(timespec="seconds"))
    month = quote((timezone.now() - timedelta(days=30)).isoformat(timespec="seconds"))
    group = failure_groups(limit=1)[0].key
    client_group = failure_groups(client_id=client, limit=1)[0].key
    succeeded = Transfer.objects.filter(status="succeeded").exclude(external_id="")
    external = succeeded.order_by("pk").values_list("external_id", flat=True)[1234]
    failed = Transfer.objects.filter(status="failed").order_by("pk").values_list("pk", flat=True)
    return {
        "unfiltered (first page)": base,
        "status = failed": f"{base}?status__exact=failed",
        "kind = invoice": f"{base}?kind__exact=invoice",
        "system = azets": f"{base}?connection__system__exact=azets",
        "client = one client": f"{base}?client__id__exact={client}",
        "created in the last 7 days": f"{base}?created_at__gte={week}",
        "status + kind + client": f"{base}?status__exact=failed&kind__exact=invoice"
                                  f"&client__id__exact={client}",
        "same error (largest group)": f"{base}?error={group}",
        "same error + client": f"{base}?error={client_group}&client__id__exact={client}",
        "search our number 100123": f"{base}?q=100123",
        "search PowerOffice id": f"{base}?q={external}",
        "search words 'Kari Nordmann'": f"{base}?q=Kari+Nordmann",
        "search common name 'Hansen'": f"{base}?q=Hansen",
        "search 'invoice' (half the log)": f"{base}?q=invoice",
        "search word + last 30 days": f"{base}?q=Nordmann&created_at__gte={month}",
        "sorted by object": f"{base}?o=5",
        "page 200": f"{base}?p=200",
        "page 20, status = failed": f"{base}?status__exact=failed&p=20",
        "last page (400)": f"{base}?p=400",
        "failed transfer's page": f"{base}{failed[100]}/change/",
        "overview per client": f"{base}overview/",
        "admin index (dashboard)": "/admin/",
    }  # fmt: skip


def timed_get(browser, url: str, repeat: int):
    """Median and fastest ms of `repeat` requests, the HTTP status, and the last request's
    queries as (ms, sql) with the SQL as sent (parameters in place)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser.get(url)  # warm: templates, translations, the database's cache
    times, status, queries = [], 0, []
    for _ in range(repeat):
        durations = []

        def timer(execute, sql, params, many, context, durations=durations):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                durations.append((time.perf_counter() - started) * 1000)

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = browser.get(url)
            times.append(time.perf_counter() - started)
        status = response.status_code
        queries = [(ms, q["sql"]) for ms, q in zip(durations, captured.captured_queries,
                                                    strict=True)]  # fmt: skip
    return statistics.median(times) * 1000, min(times) * 1000, status, queries


def plan(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [" ".join(str(col) for col in row) for row in cursor.fetchall()]


def admin_timings(args) -> list[tuple]:
    from django.contrib.auth.models import User
    from django.test import Client as Browser

    user = User.objects.create_superuser(f"bench{time.time_ns()}", "bench@example.com", "x")
    browser = Browser()
    browser.force_login(user)
    summary = []
    print(f"\nadmin pages (median and fastest of {args.repeat}; queries and their total time; "
          "slowest query and its plan)")  # fmt: skip
    for label, url in pages().items():
        ms, fastest, status, queries = timed_get(browser, url, args.repeat)
        slowest_ms, slowest_sql = max(queries)
        db_ms = sum(q_ms for q_ms, _ in queries)
        print(f"\n{label}: {ms:.1f} ms (fastest {fastest:.1f}), {len(queries)} queries taking "
              f"{db_ms:.1f} ms (HTTP {status})  {url}")  # fmt: skip
        print(f"  slowest query {slowest_ms:.1f} ms: {slowest_sql[:160]}…")
        for line in plan(slowest_sql)[: args.plan_lines]:
            print(f"    {line}")
        summary.append((label, ms, fastest, len(queries), db_ms))
    return summary


def main() -> None:
    args = parse_args()
    reused = setup(args)
    if reused:
        print(f"reusing {args.transfers:,} seeded transfers")
    else:
        seed(args)
        analyze()
    summary = admin_timings(args)
    print(f"\nsummary at {args.transfers:,} transfers: median ms | fastest ms | queries | "
          "ms in queries")  # fmt: skip
    for label, ms, fastest, count, db_ms in summary:
        print(f"  | {label:<32} | {ms:7.1f} | {fastest:7.1f} | {count:3d} | {db_ms:6.1f} |")
    print(f"  slowest page (median): {max(row[1] for row in summary):.1f} ms")


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    main()
