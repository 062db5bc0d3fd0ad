"""AzetsClient: one method per operation of the proposed contract (contract/azets-v1.json).

Only this module knows URLs and HTTP; it returns parsed data (types.py), never a Response, and
every non-2xx becomes a typed error through raise_for_response(). Authentication is pluggable
(Q1): HTTP Basic with username/password by default, `Authorization: ApiKey <key>` if Azets
issues keys instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

from requests.auth import HTTPBasicAuth

from integrations.http import ApiSession, json_or_none, raise_for_response

from . import mapping
from .types import AzetsScope, ExpensePage, Stored

SYSTEM = "azets"


class AzetsClient(ApiSession):
    system = SYSTEM

    def __init__(
        self,
        *,
        base_url: str,
        parent_client_id: str,
        source_client_id: str,
        username: str = "",
        password: str = "",
        api_key: str = "",
        client_label: str = "",
        timeout: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(role="azets", timeout=timeout)
        self.scope_url = (
            f"{base_url.rstrip('/')}/v1/parents/{quote(parent_client_id, safe='')}"
            f"/clients/{quote(source_client_id, safe='')}"
        )
        self.client_label = client_label
        self._secrets = [s for s in (password, api_key) if s]
        if api_key:
            self.headers["Authorization"] = f"ApiKey {api_key}"
        else:
            self.auth = HTTPBasicAuth(username, password)
        self.headers["Accept"] = "application/json"

    def secrets(self) -> Iterable[str]:
        return self._secrets

    # -- plumbing ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, operation: str, **kwargs) -> tuple[int, Any]:
        response = self.request(method, self.scope_url + path, **kwargs)
        raise_for_response(
            response,
            system=SYSTEM,
            operation=operation,
            client=self.client_label,
            secrets=self.secrets(),
        )
        return response.status_code, json_or_none(response)

    def _put(self, path: str, operation: str, payload: dict[str, Any]) -> Stored:
        status, body = self._call("PUT", path, operation, json=payload)
        return mapping.parse_stored(body, status)

    # -- operations ----------------------------------------------------------------------------
    def get_scope(self) -> AzetsScope:
        _, body = self._call("GET", "/", "GET scope")
        return mapping.parse_scope(body)

    def put_customer(self, number: str, payload: dict[str, Any]) -> Stored:
        return self._put(f"/customers/{quote(number, safe='')}", "PUT customer", payload)

    def put_project(self, number: str, payload: dict[str, Any]) -> Stored:
        return self._put(f"/projects/{quote(number, safe='')}", "PUT project", payload)

    def put_voucher(self, number: str, payload: dict[str, Any]) -> Stored:
        """Idempotent: 201 created, 200 identical replay; 409 (Conflict) for other content."""
        return self._put(f"/vouchers/{quote(number, safe='')}", "PUT voucher", payload)

    def list_expenses(
        self,
        *,
        since: date,
        project_numbers: Iterable[str] = (),
        report: str = "",
        cursor: str | None = None,
    ) -> ExpensePage:
        params = {"since": since.isoformat()}
        if project_numbers:
            params["projectNos"] = ",".join(project_numbers)
        if report:
            params["report"] = report  # omitted: Azets' standard report (seed)
        if cursor:
            params["cursor"] = cursor
        _, body = self._call("GET", "/expenses", "GET expenses", params=params)
        return mapping.parse_expense_page(body)

    def iter_expense_pages(self, **kwargs) -> Iterator[list[dict]]:
        """Every page of the feed, following nextCursor."""
        cursor = None
        while True:
            page = self.list_expenses(cursor=cursor, **kwargs)
            yield page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor
