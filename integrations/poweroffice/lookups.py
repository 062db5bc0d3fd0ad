"""Reference data of one PowerOffice Go client, read once and reused across transfers.

Posting an invoice needs ids that only PowerOffice knows: the VAT code ids, the general-ledger
account ids, the customer's sub-ledger account id, the customer number series, the lock date and
the employees (project owners). Reading them for every invoice would cost five extra calls per
invoice against a budget of 10 calls/s shared by all clients. They change rarely, so they are kept
for `TTL` seconds, keyed by API host, client key and connection.

Only `PowerOfficeClient` methods touch the network; this module calls them lazily (`fetch_`
semantics live in the client). `lookups_clear()` forgets everything (tests, after a settings
change in PowerOffice Go you do not want to wait for).

Shared (issue 19): every worker of every machine reads a value once per connection and `TTL`
through the configured cache (integrations.sharedcache); an error that says a value is stale
(`Lookups.forget_stale`) drops it for all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from integrations import sharedcache

#: Seconds a value read from PowerOffice Go is reused.
TTL = 300.0
#: The lock date is re-read more often: an accountant may close a period during the day.
LOCK_DATE_TTL = 60.0

_lock = threading.Lock()
_cache: dict[tuple, dict[str, tuple[float, Any]]] = {}
_shared_keys: set[str] = set()


def lookups_clear() -> None:
    """Forget every value of this process and the shared copies it knows (tests, benches)."""
    with _lock:
        _cache.clear()
        keys = list(_shared_keys)
        _shared_keys.clear()
    for key in keys:
        sharedcache.shared_delete(key)


class Lookups:
    """Cached lookups for one connection through its client: in the shared cache for every
    worker (integrations.sharedcache) and, for at most `sharedcache.LOCAL_SECONDS`, in the
    process. `forget()` drops a value everywhere (after an error that says it is stale)."""

    def __init__(self, client, connection, *, clock: Callable[[], float] = time.time):
        self.client = client
        self.clock = clock
        key = (getattr(client, "api_url", ""), client.credentials.client_key, connection.pk)
        raw = "\n".join(str(part) for part in key)
        self._prefix = f"poweroffice:lookups:{hashlib.sha256(raw.encode()).hexdigest()[:24]}:"
        with _lock:
            self._values = _cache.setdefault(key, {})

    def _shared(self, name: str) -> str:
        key = self._prefix + name
        with _lock:
            _shared_keys.add(key)
        return key

    def _local(self, name: str, expires_at: float, value: Any) -> None:
        local_until = min(expires_at, self.clock() + sharedcache.LOCAL_SECONDS)
        with _lock:
            self._values[name] = (local_until, value)

    def _cached(self, name: str, loader: Callable[[], Any], ttl: float = TTL) -> Any:
        now = self.clock()
        with _lock:
            hit = self._values.get(name)
        if hit is not None and hit[0] > now:
            return hit[1]
        shared = sharedcache.shared_get(self._shared(name))
        if shared is not None and shared[0] > now:
            self._local(name, shared[0], shared[1])
            return shared[1]
        value = loader()
        self._remember(name, value, ttl)
        return value

    def _remember(self, name: str, value: Any, ttl: float = TTL) -> None:
        expires_at = self.clock() + ttl
        sharedcache.shared_set(self._shared(name), (expires_at, value), ttl)
        self._local(name, expires_at, value)

    def forget(self, name: str) -> None:
        with _lock:
            self._values.pop(name, None)
        sharedcache.shared_delete(self._shared(name))

    def forget_stale(self, err: Exception, *, customer_number: int | None = None) -> list[str]:
        """After PowerOffice refused a document (NotFound, ValidationRejected): drop the
        reference data the error names, so the next attempt reads it afresh. An error about
        an account drops the GL accounts and the customers' ledger ids, one about a VAT code
        the VAT ids (`customer_number`: the document's customer, whose ledger id goes too).
        Returns what was dropped."""
        field_errors = getattr(err, "field_errors", None) or {}
        text = " ".join([str(getattr(err, "message", err)), *map(str, field_errors)]).lower()
        for messages in field_errors.values():
            text += " " + " ".join(map(str, messages)).lower()
        dropped = []
        if "vat" in text:
            dropped.append("vat_ids")
        if "account" in text:
            dropped.append("account_ids")
            with _lock:
                dropped += [name for name in self._values if name.startswith("customer:")]
        if "customer" in text:
            with _lock:
                dropped += [name for name in self._values if name.startswith("customer:")]
        if customer_number is not None and ("account" in text or "customer" in text):
            dropped.append(f"customer:{int(customer_number)}")
        for name in dict.fromkeys(dropped):
            self.forget(name)
        return list(dict.fromkeys(dropped))

    # -- settings of the client ------------------------------------------------------------------
    def vat_ids(self) -> dict[str, int]:
        """VAT code ("3") -> VatId; active codes win over expired ones with the same code."""

        def load() -> dict[str, int]:
            rows = sorted(self.client.list_vat_codes(), key=lambda r: bool(r.get("IsActive")))
            return {str(r["Code"]): int(r["Id"]) for r in rows if r.get("Code") is not None}

        return self._cached("vat_ids", load)

    def account_ids(self) -> dict[int, int]:
        """General-ledger account number -> account id."""

        def load() -> dict[int, int]:
            rows = self.client.list_general_ledger_accounts()
            return {int(r["AccountNo"]): int(r["Id"]) for r in rows}

        return self._cached("account_ids", load)

    def number_series(self, series_type: str) -> list[tuple[int, int]]:
        """(from, to) of every sub-ledger number series of a type ("Customer", "Employee")."""

        def load() -> list[tuple[int, int]]:
            rows = self.client.list_sub_ledger_number_series(series_type=series_type)
            return [(int(r["FromInclusive"]), int(r["ToInclusive"])) for r in rows]

        return self._cached(f"series:{series_type}", load)

    def customer_series(self) -> list[tuple[int, int]]:
        return self.number_series("Customer")

    def contact_group_id(self, name: str) -> int:
        """Id of the contact group with this name, created in PowerOffice Go when missing."""

        def load() -> int:
            for row in self.client.list_contact_groups(names=[name]):
                if str(row.get("Name", "")).strip().lower() == name.strip().lower():
                    return int(row["Id"])
            return int(self.client.create_contact_group({"Name": name})["Id"])

        return self._cached(f"contact_group:{name.lower()}", load)

    def lock_date(self) -> dt.date | None:
        return self._cached("lock_date", self.client.get_lock_date, LOCK_DATE_TTL)

    def employee_ids_by_email(self) -> dict[str, int]:
        """Lower-case e-mail -> employee id (PowerOffice has no e-mail filter on /Employees)."""

        def load() -> dict[str, int]:
            rows = self.client.list_employees()
            return {
                str(r["EmailAddress"]).strip().lower(): int(r["Id"])
                for r in rows
                if r.get("EmailAddress")
            }

        return self._cached("employees", load)

    def product_exists(self, product_id: int) -> bool:
        """Whether PowerOffice Go knows this product id (the setup checklist's POS step)."""
        from .pos import PosSalesOrderApi

        return self._cached(
            f"product:{int(product_id)}",
            lambda: PosSalesOrderApi(self.client).product_exists(product_id),
        )

    # -- customers ---------------------------------------------------------------------------
    def remember_customer(self, row: dict[str, Any]) -> None:
        """Keep a customer row's sub-ledger account id (after create, match or update)."""
        if row and row.get("Number") is not None and row.get("SubledgerAccountId") is not None:
            self._remember(f"customer:{int(row['Number'])}", int(row["SubledgerAccountId"]))

    def customer_ledger_id(self, number: int) -> int | None:
        """The SubledgerAccountId of the customer with this number (None when it is unknown)."""

        def load() -> int | None:
            for row in self.client.list_customers(numbers=[number]):
                if row.get("Number") == number and row.get("SubledgerAccountId") is not None:
                    return int(row["SubledgerAccountId"])
            return None

        value = self._cached(f"customer:{number}", load)
        if value is None:
            self.forget(f"customer:{number}")
        return value
