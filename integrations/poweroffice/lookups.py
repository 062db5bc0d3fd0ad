"""Reference data of one PowerOffice Go client, read once and reused across transfers.

Posting an invoice needs ids that only PowerOffice knows: the VAT code ids, the general-ledger
account ids, the customer's sub-ledger account id, the customer number series, the lock date and
the employees (project owners). Reading them for every invoice would cost five extra calls per
invoice against a budget of 10 calls/s shared by all clients. They change rarely, so they are kept
per process for `TTL` seconds, keyed by API host, client key and connection.

Only `PowerOfficeClient` methods touch the network; this module calls them lazily (`fetch_`
semantics live in the client). `lookups_clear()` forgets everything (tests, after a settings
change in PowerOffice Go you do not want to wait for).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

#: Seconds a value read from PowerOffice Go is reused.
TTL = 300.0
#: The lock date is re-read more often: an accountant may close a period during the day.
LOCK_DATE_TTL = 60.0

_lock = threading.Lock()
_cache: dict[tuple, dict[str, tuple[float, Any]]] = {}


def lookups_clear() -> None:
    with _lock:
        _cache.clear()


class Lookups:
    """Cached lookups for one connection through its client."""

    def __init__(self, client, connection, *, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.clock = clock
        key = (getattr(client, "api_url", ""), client.credentials.client_key, connection.pk)
        with _lock:
            self._values = _cache.setdefault(key, {})

    def _cached(self, name: str, loader: Callable[[], Any], ttl: float = TTL) -> Any:
        now = self.clock()
        with _lock:
            hit = self._values.get(name)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = loader()
        with _lock:
            self._values[name] = (now + ttl, value)
        return value

    def _remember(self, name: str, value: Any, ttl: float = TTL) -> None:
        with _lock:
            self._values[name] = (self.clock() + ttl, value)

    def forget(self, name: str) -> None:
        with _lock:
            self._values.pop(name, None)

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
