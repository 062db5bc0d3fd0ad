"""The end of bench/soak.py: compare the sandbox's ledger with the database and print figures."""

from __future__ import annotations

from collections import Counter


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def _classify(count: int, transfer_status: str | None) -> str:
    if count == 1:
        return "once"
    if count > 1:
        return "doubled"
    if transfer_status in ("pending", "running"):
        return "pending"
    if transfer_status == "failed":
        return "failed"
    return "lost"  # we think it was sent (or never queued it), the ledger does not have it


def _latest_status(obj, kinds) -> tuple[str | None, str]:
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import Transfer

    transfer = (
        Transfer.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, kind__in=kinds
        )
        .order_by("-pk")
        .first()
    )
    return (transfer.status, transfer.last_error) if transfer else (None, "never queued")


def _vouchers(client, books, tally: Counter, reasons: Counter) -> None:
    from accounting.models import Invoice
    from integrations.poweroffice.mapping import voucher_reference

    posted = Counter(v["ExternalImportReference"] for v in books["vouchers"])
    for invoice in Invoice.objects.filter(client=client, state="finalized"):
        status, error = _latest_status(invoice, ["invoice", "credit_note"])
        outcome = _classify(posted[voucher_reference(invoice)], status)
        kind = "credit notes" if invoice.is_credit_note else "invoices"
        tally[(kind, outcome)] += 1
        if outcome in ("failed", "lost"):
            reasons[f"{kind}: {error[:140]}"] += 1


def _customers(client, books, tally: Counter, reasons: Counter) -> None:
    from accounting.models import Customer

    rows = books["registers"]["Customers"]
    by_number = Counter(r["Number"] for r in rows)
    names = {r["Number"]: r["Name"] for r in rows}
    for customer in Customer.objects.filter(client=client):
        status, error = _latest_status(customer, ["customer"])
        if status is None and not by_number[customer.number]:
            continue  # never part of the load (no invoice, no rename)
        outcome = _classify(by_number[customer.number], status)
        if outcome == "once" and status in ("succeeded", "skipped"):
            if names[customer.number] != customer.name:
                outcome = "stale name"
        tally[("customers", outcome)] += 1
        if outcome in ("failed", "lost", "stale name"):
            reasons[f"customers: {outcome} {error[:120]}"] += 1


def _pos_sales(client, books, tally: Counter, reasons: Counter) -> None:
    from integrations.poweroffice.pos import pos_sale_reference
    from pos.models import PosSale

    posted = Counter(o["ExternalImportReference"] for o in books["sales_orders"])
    for sale in PosSale.objects.filter(client=client):
        count = posted[pos_sale_reference(sale)]
        status = {"sent": "succeeded", "failed": "failed"}.get(sale.status, "pending")
        outcome = _classify(count, status)
        tally[("POS sales", outcome)] += 1
        if outcome in ("failed", "lost"):
            reasons[f"POS sales: {getattr(sale, 'last_error', '')[:120]}"] += 1


def _expenses(client, seeded: int, tally: Counter, reasons: Counter) -> None:
    from accounting.models import Expense
    from integrations.models import Transfer

    imported = Counter(Expense.objects.filter(client=client)
                       .values_list("external_reference", flat=True))  # fmt: skip
    tally[("expenses", "once")] += sum(1 for c in imported.values() if c == 1)
    tally[("expenses", "doubled")] += sum(1 for c in imported.values() if c > 1)
    missing = seeded - len(imported)
    last = Transfer.objects.filter(client=client, kind="expense_import").order_by("-pk").first()
    status = last.status if last else None
    if missing > 0:
        tally[("expenses", _classify(0, status))] += missing
        if last and last.last_error:
            reasons[f"expenses: {last.last_error[:120]}"] += 1


def _latencies() -> tuple[list[float], int]:
    from integrations.models import Transfer

    rows = Transfer.objects.filter(status="succeeded").values_list("created_at", "finished_at")
    values = [(done - made).total_seconds() for made, done in rows if done]
    return values, len(values)


def report(clients, keys, sandbox, load_seconds, total_seconds, requests_log, args) -> None:
    from integrations.models import Transfer

    tally: Counter = Counter()
    reasons: Counter = Counter()
    for client, key in zip(clients, keys, strict=True):
        books = sandbox.books(key)
        _vouchers(client, books, tally, reasons)
        _customers(client, books, tally, reasons)
        _pos_sales(client, books, tally, reasons)
        _expenses(client, 4, tally, reasons)
    latencies, succeeded = _latencies()
    statuses = Counter(r["status"] for r in requests_log)
    dropped = sum(1 for r in requests_log if r["dropped"])
    print("\nobject kind      sent  once  doubled  lost  pending  failed")
    for kind in ("invoices", "credit notes", "customers", "POS sales", "expenses"):
        row = {o: tally[(kind, o)] for o in ("once", "doubled", "lost", "pending", "failed",
                                             "stale name")}  # fmt: skip
        sent = sum(row.values())
        print(f"{kind:<15} {sent:5} {row['once']:5} {row['doubled']:8} {row['lost']:5} "
              f"{row['pending']:8} {row['failed']:7}"
              + (f"  (stale name {row['stale name']})" if row["stale name"] else ""))
    totals = {o: sum(v for (k, oo), v in tally.items() if oo == o) for o in
              ("once", "doubled", "lost", "pending", "failed")}  # fmt: skip
    print(f"\nobjects sent {sum(tally.values())}: exactly once {totals['once']}, doubled "
          f"{totals['doubled']} (target 0), lost {totals['lost']} (target 0), still pending "
          f"{totals['pending']}, failed {totals['failed']}")
    for reason, count in reasons.most_common(8):
        print(f"  failed/lost x{count}: {reason}")
    transfers = Counter(Transfer.objects.values_list("status", flat=True))
    print(f"transfers by status {dict(transfers)}")
    print(f"throughput {succeeded / total_seconds:.2f} succeeded transfers/s over "
          f"{total_seconds:.0f} s ({load_seconds:.0f} s load + drain)")
    print(f"transfer latency (queued → finished) p50 {percentile(latencies, 0.5):.1f} s, "
          f"p95 {percentile(latencies, 0.95):.1f} s")
    print(f"sandbox requests {len(requests_log)} (last 10,000 kept): by status {dict(statuses)}, "
          f"{dropped} answers dropped after the write was stored")
