"""Reconciliation cost (issue 16). Prints figures; asserts nothing.

    .venv/bin/python bench/reconcile.py                      # 1,000 and 10,000 invoices, 10/s
    .venv/bin/python bench/reconcile.py --sizes 10000 --interactive 8

Runs on a throw-away test database and an in-process PowerOffice sandbox that enforces the rate
limit (10 requests/s by default). The N finalized invoices are written to the database and their
vouchers straight into the sandbox books (posting 10,000 invoices at 10/s would take 17 minutes
and measure the exporter, not reconciliation); every 50th voucher is left out and every 100th
amount changed, so the run has findings to store. Then, per size:

1. the reconciliation alone: API calls, wall time, peak Python memory (tracemalloc);
2. the reconciliation again in a thread while the main thread finalizes `--interactive`
   invoices one after another, each transfer run at once through the shared budget: the
   latency from finalize to "succeeded" of each, next to the same invoices without a
   reconciliation running.

Limiter backend "local" (one process); the budget is one sliding window shared by both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="invoice counts, comma separated")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s (PowerOffice: 10)")
    parser.add_argument("--interactive", type=int, default=5, help="invoices finalized meanwhile")
    return parser.parse_args()


def setup(rate: float):
    import django
    from django.conf import settings

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    settings.POWEROFFICE_RATE_LIMIT = rate
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "local"
    settings.POWEROFFICE_APPLICATION_KEY = settings.POWEROFFICE_SUBSCRIPTION_KEY = ""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    setup_databases(verbosity=0, interactive=False)


def start_sandbox(rate: float, client_key: str):
    from django.conf import settings

    from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
    from integrations.sandbox.server import SandboxServer

    config = SandboxConfig(rate_limit=rate, clients={client_key: {"name": "Bench AS"}})
    server = SandboxServer(PowerOfficeSandbox(config=config))
    server.start()
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": server.url}
    return server


def make_books(size: int, client_key: str, server):
    """A client with `size` finalized invoices here and their vouchers there."""
    from django.contrib.contenttypes.models import ContentType

    from accounting.models import Account, Client, Customer, Invoice, InvoiceLine, VatCode
    from accounting.references import document_reference
    from accounting.services import record_save
    from integrations.models import Connection, ExternalLink, System

    client = Client.objects.create(name=f"Bench {size} AS", organization_number=str(size))
    vat = VatCode.objects.create(client=client, code="3", name="High", rate=Decimal("25"))
    account = Account.objects.create(client=client, number=3000, name="Sales", vat_code=vat,
                                     external_vat_code="3")  # fmt: skip
    customer = record_save(record=Customer(client=client, number=10000, name="Customer",
                                           postcode="0150", city="Oslo"))  # fmt: skip
    connection = Connection.objects.create(client=client, system=System.POWEROFFICE,
                                           mode="sandbox", enabled=True,
                                           secrets={"client_key": client_key})  # fmt: skip
    day = __import__("django.utils.timezone", fromlist=["x"]).localdate()
    invoices = [Invoice(client=client, customer=customer, number=100000 + n, invoice_date=day,
                        state=Invoice.State.FINALIZED, kid=f"{n:08d}",
                        transfer_reference=document_reference(client=client, kind="INV",
                                                               number=100000 + n))
                for n in range(size)]  # fmt: skip
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    lines = [InvoiceLine(client=client, invoice=inv, line_no=1, account=account, description="x",
                         unit_price=Decimal("1000"), vat_code=vat, vat_rate=Decimal("25"),
                         amount_excl_vat=Decimal("1000"), vat_amount=Decimal("250"),
                         amount_incl_vat=Decimal("1250"))
             for inv in Invoice.objects.filter(client=client)]  # fmt: skip
    InvoiceLine.objects.bulk_create(lines, batch_size=1000)
    books = server.app.books_for(client_key)
    content_type = ContentType.objects.get_for_model(Invoice)
    links = []
    for n, invoice in enumerate(Invoice.objects.filter(client=client).order_by("number")):
        voucher_id = str(uuid.uuid4())
        links.append(ExternalLink(connection=connection, content_type=content_type,
                                  object_id=invoice.pk, external_id=voucher_id))  # fmt: skip
        if n % 50 == 49:
            continue  # sent, but missing there
        amount = 1250.0 if n % 100 else 1200.0
        books.ledger.append({
            "Id": n, "VoucherId": voucher_id, "VoucherNo": 40000 + n,
            "ExternalImportReference": invoice.transfer_reference, "InvoiceNo": str(invoice.number),
            "CurrencyAmount": amount, "Amount": amount, "CurrencyCode": "NOK",
            "CustomerAccountNo": 10000, "VoucherDate": day.isoformat(), "Cid": invoice.kid,
            "VoucherType": "OutgoingInvoice", "IsCreatedByCurrentIntegration": True,
        })  # fmt: skip
    ExternalLink.objects.bulk_create(links, batch_size=1000)  # as the transfers bound them
    return connection, customer, account


def reconcile(connection):
    from integrations.poweroffice.reconciliation import reconciliation_reader
    from integrations.reconciliation.services import reconciliation_run

    reader = reconciliation_reader(connection)
    tracemalloc.start()
    started = time.perf_counter()
    run = reconciliation_run(connection=connection, reader=reader, notify=False)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return run, elapsed, peak, reader.client.rate_limiter


def finalize_and_send(customer, account, start_number: int, count: int) -> list[float]:
    """Latency (s) of each invoice from finalize to its transfer succeeded, one after another."""
    from accounting.models import Invoice, InvoiceLine
    from accounting.services import invoice_finalize
    from integrations.engine import transfer_process
    from integrations.models import Transfer

    latencies = []
    for n in range(count):
        invoice = Invoice.objects.create(client=customer.client, customer=customer,
                                         number=start_number + n)  # fmt: skip
        line = InvoiceLine(client=customer.client, invoice=invoice, line_no=1, account=account,
                           description="Interactive", unit_price=Decimal("100"))  # fmt: skip
        line.compute_amounts()
        line.save()
        started = time.perf_counter()
        invoice_finalize(invoice=invoice, by=None)
        transfer = Transfer.objects.filter(object_id=invoice.pk, kind="invoice").latest("pk")
        transfer_process(transfer.pk)
        transfer.refresh_from_db()
        latencies.append(time.perf_counter() - started if transfer.status == "succeeded"
                         else float("nan"))  # fmt: skip
        time.sleep(0.2)
    return latencies


def describe(latencies: list[float]) -> str:
    return (f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
            f"({len(latencies)} invoices)")  # fmt: skip


def main() -> None:
    import faulthandler

    faulthandler.dump_traceback_later(float(os.environ.get("BENCH_TRACE_AFTER", "0")) or 1e9)
    args = parse_args()
    setup(args.rate)
    print(f"Budget {args.rate:g} requests/s; reconciliation share "
          f"{__import__('integrations.reconciliation.pacing', fromlist=['x']).DEFAULT_SHARE:.0%}")
    for size in (int(s) for s in args.sizes.split(",")):
        client_key = str(uuid.uuid4())
        server = start_sandbox(args.rate, client_key)
        try:
            connection, customer, account = make_books(size, client_key, server)
            run, elapsed, peak, limiter = reconcile(connection)
            print(f"\n{size} invoices: {run.get_status_display()} in {elapsed:.2f} s, "
                  f"{limiter.calls} API calls, stepped back {limiter.waited:.2f} s, "
                  f"peak memory {peak / 1e6:.1f} MB")  # fmt: skip
            print(f"  counts: {dict(sorted(run.counts.items()))}")
            alone = finalize_and_send(customer, account, 900000, args.interactive)
            print(f"  interactive invoices, nothing else running: {describe(alone)}")
            results = {}
            thread = threading.Thread(
                target=lambda into=results, c=connection: into.update(run=reconcile(c))
            )
            thread.start()
            during = finalize_and_send(customer, account, 910000, args.interactive)
            thread.join()
            print(f"  interactive invoices during a reconciliation: {describe(during)}")
            _run, busy, _peak, busy_limiter = results["run"]
            print(f"  that reconciliation: {busy:.2f} s, {busy_limiter.calls} API calls")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
