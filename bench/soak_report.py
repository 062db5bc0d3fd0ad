"""The end of bench/soak.py: what the sandbox STORED against what the database believes.

Counted per client key from the sandbox's books (`GET /_sandbox/books`), which hold every voucher
and sales order the sandbox stored, also those whose answer it dropped, never from our database's
view of what it sent:

- once: stored exactly once, and our transfer succeeded and bound it;
- doubled: the reference stored more than once (target 0);
- lost: our database says sent (transfer succeeded, or bound), the sandbox never stored it; or a
  finalized document that never got a transfer (target 0);
- failed-but-posted: stored, but our transfer failed, is still open, or never bound it (target 0);
- failed / pending: not stored, and our transfer says so (failed with its reason, or still open);
- stored but unknown: a stored reference no document of ours carries (target 0).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

OUTCOMES = ("once", "doubled", "lost", "failed-but-posted", "failed", "pending")
TARGETS = ("doubled", "lost", "failed-but-posted")


@dataclass
class Result:
    tally: Counter = field(default_factory=Counter)  # (kind, outcome) -> count
    reasons: Counter = field(default_factory=Counter)
    stored: Counter = field(default_factory=Counter)  # reference -> times stored (all keys)
    sandbox_doubled: list[str] = field(default_factory=list)  # the books' own "doubled"
    unknown: list[str] = field(default_factory=list)  # stored references not ours
    details: list[str] = field(default_factory=list)  # one line per missed target

    def total(self, outcome: str) -> int:
        return sum(v for (_, o), v in self.tally.items() if o == outcome)

    def targets_met(self) -> bool:
        return (
            not any(self.total(o) for o in TARGETS)
            and not self.sandbox_doubled
            and not self.unknown
        )


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def classify(stored: int, status: str | None, bound: bool) -> str:
    """One object's outcome from the times the sandbox stored it and our side's view: its
    latest transfer's status (None: never queued) and whether it is bound to a remote id."""
    if stored > 1:
        return "doubled"
    sent = bound and status in ("succeeded", "skipped")
    if stored == 1:
        return "once" if sent else "failed-but-posted"
    if bound or status in ("succeeded", "skipped", None):
        return "lost"
    return "pending" if status in ("pending", "running") else "failed"


def _latest_transfer(obj, kinds):
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import Transfer

    return (
        Transfer.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, kind__in=kinds
        )
        .order_by("-pk")
        .first()
    )


def _note(result: Result, kind: str, outcome: str, label: str, reference: str, why: str) -> None:
    result.tally[(kind, outcome)] += 1
    if outcome in ("failed", "lost", "failed-but-posted", "doubled"):
        result.reasons[f"{kind} {outcome}: {why[:140]}"] += 1
    if outcome in TARGETS:
        result.details.append(f"{kind} {label} ({reference}): {outcome}; {why[:300]}")


def _invoices(client, connection, stored: Counter, result: Result, ours: set[str]) -> None:
    from accounting.models import Invoice
    from integrations.links import link_for_object

    for invoice in Invoice.objects.filter(client=client).exclude(transfer_reference=""):
        reference = invoice.transfer_reference
        ours.add(reference)
        transfer = _latest_transfer(invoice, ["invoice", "credit_note"])
        bound = link_for_object(connection=connection, obj=invoice) is not None
        status = transfer.status if transfer else None
        outcome = classify(stored[reference], status, bound)
        kind = "credit notes" if invoice.is_credit_note else "invoices"
        why = (f"transfer #{transfer.pk} {status}, attempts {transfer.attempts}, bound {bound}, "
               f"stored {stored[reference]}x: {transfer.last_error}" if transfer
               else f"never queued, stored {stored[reference]}x")  # fmt: skip
        _note(result, kind, outcome, str(invoice.number), reference, why)


def _pos_sales(client, stored: Counter, result: Result, ours: set[str]) -> None:
    from pos.models import PosSale

    for sale in PosSale.objects.filter(client=client).select_related("batch"):
        reference = sale.transfer_reference
        if not reference:  # never batched: not part of the load
            continue
        ours.add(reference)
        status = {"sent": "succeeded", "failed": "failed"}.get(sale.status, "pending")
        outcome = classify(stored[reference], status, bool(sale.external_id))
        why = f"sale {sale.status}, stored {stored[reference]}x: {sale.error}"
        _note(result, "POS sales", outcome, sale.number, reference, why)


def _register(client, connection, books, result: Result, kind: str, model, register: str,
              number_of) -> None:  # fmt: skip
    """Customers and projects: stored by number (code) in the register."""
    from integrations.links import link_for_object

    rows = books["registers"][register]
    stored = Counter(str(r["Number"]) for r in rows)
    names = {str(r["Number"]): r["Name"] for r in rows}
    for obj in model.objects.filter(client=client):
        number = str(number_of(obj))
        transfer = _latest_transfer(obj, [kind.rstrip("s")])
        bound = link_for_object(connection=connection, obj=obj) is not None
        if transfer is None and not bound and not stored[number]:
            continue  # never part of the load
        # created as another transfer's dependency: no transfer of its own
        status = transfer.status if transfer else "succeeded"
        outcome = classify(stored[number], status, bound)
        why = (f"transfer #{transfer.pk} {status}, bound {bound}, stored {stored[number]}x: "
               f"{transfer.last_error}" if transfer else f"bound {bound}, stored {stored[number]}x")
        if outcome == "once" and transfer and transfer.status == "succeeded" \
                and kind == "customers" and names[number] != obj.name:  # fmt: skip
            result.reasons[f"customers: stale name {number}"] += 1
        _note(result, kind, outcome, number, number, why)


def _expenses(client, seeded: int, result: Result) -> None:
    """The expense import runs the other way (PowerOffice Go → us): doubles in our database."""
    from accounting.models import Expense
    from integrations.models import Transfer

    imported = Counter(Expense.objects.filter(client=client)
                       .values_list("external_reference", flat=True))  # fmt: skip
    result.tally[("expenses", "once")] += sum(1 for c in imported.values() if c == 1)
    result.tally[("expenses", "doubled")] += sum(1 for c in imported.values() if c > 1)
    missing = seeded - len(imported)
    last = Transfer.objects.filter(client=client, kind="expense_import").order_by("-pk").first()
    if missing > 0:
        status = last.status if last else None
        outcome = "pending" if status in ("pending", "running") else "failed"
        result.tally[("expenses", outcome)] += missing
        if last and last.last_error:
            result.reasons[f"expenses: {last.last_error[:120]}"] += 1


def _latencies() -> list[float]:
    from integrations.models import Transfer

    rows = Transfer.objects.filter(status="succeeded").values_list("created_at", "finished_at")
    return [(done - made).total_seconds() for made, done in rows if done]


def compare(clients, keys, sandbox) -> Result:
    from accounting.models import Customer, Project
    from integrations.models import Connection

    result = Result()
    for client, key in zip(clients, keys, strict=True):
        books = sandbox.books(key)
        connection = Connection.objects.get(client=client)
        stored = Counter(
            [v["ExternalImportReference"] for v in books["vouchers"]]
            + [o["ExternalImportReference"] for o in books["sales_orders"]]
        )
        result.stored.update(stored)
        result.sandbox_doubled += books["doubled"]
        ours: set[str] = set()
        _invoices(client, connection, stored, result, ours)
        _pos_sales(client, stored, result, ours)
        result.unknown += sorted(r for r in stored if r and r not in ours)
        _register(client, connection, books, result, "customers", Customer, "Customers",
                  lambda c: c.number)  # fmt: skip
        _register(client, connection, books, result, "projects", Project, "Projects",
                  lambda p: p.number)  # fmt: skip
        _expenses(client, 4, result)
    return result


def report(clients, keys, sandbox, load_seconds, total_seconds, requests_log, args) -> Result:
    from integrations.models import Transfer

    result = compare(clients, keys, sandbox)
    tally = result.tally
    print("\nobject kind     total  once  doubled  lost  failed-but-posted  failed  pending")
    for kind in ("invoices", "credit notes", "POS sales", "customers", "projects", "expenses"):
        row = {o: tally[(kind, o)] for o in OUTCOMES}
        print(f"{kind:<14} {sum(row.values()):6} {row['once']:5} {row['doubled']:8} "
              f"{row['lost']:5} {row['failed-but-posted']:18} {row['failed']:7} "
              f"{row['pending']:8}")  # fmt: skip
    totals = {o: result.total(o) for o in OUTCOMES}
    print(f"\nobjects {sum(tally.values())}: exactly once {totals['once']}; doubled "
          f"{totals['doubled']}, lost {totals['lost']}, failed-but-posted "
          f"{totals['failed-but-posted']} (targets 0); failed {totals['failed']}, still pending "
          f"{totals['pending']}")  # fmt: skip
    print(f"sandbox books: references stored more than once {len(result.sandbox_doubled)} "
          f"{result.sandbox_doubled[:5]}, stored but unknown to us {len(result.unknown)} "
          f"{result.unknown[:5]} (targets 0)")  # fmt: skip
    for line in result.details[:20]:
        print(f"  MISSED: {line}")
    for reason, count in result.reasons.most_common(8):
        print(f"  x{count}: {reason}")
    latencies = _latencies()
    statuses = Counter(r["status"] for r in requests_log)
    dropped = sum(1 for r in requests_log if r["dropped"])
    transfers = Counter(Transfer.objects.values_list("status", flat=True))
    print(f"transfers by status {dict(transfers)}")
    print(f"throughput {len(latencies) / total_seconds:.2f} succeeded transfers/s over "
          f"{total_seconds:.0f} s ({load_seconds:.0f} s load + drain)")
    print(f"transfer latency (queued → finished) p50 {percentile(latencies, 0.5):.1f} s, "
          f"p95 {percentile(latencies, 0.95):.1f} s")
    print(f"sandbox requests {len(requests_log)} (last 10,000 kept): by status {dict(statuses)}, "
          f"{dropped} answers dropped after the write was stored")
    return result
