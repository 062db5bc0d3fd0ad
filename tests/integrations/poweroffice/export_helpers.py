"""Shared set-up for exporter tests over mocked HTTP: a demo-mode PowerOffice connection and
the reference data PowerOffice answers with (taken from the sandbox's seeded books)."""

from __future__ import annotations

from integrations.models import Mode
from integrations.poweroffice.sandbox.seeds import NUMBER_SERIES, VAT_CODES
from tests.factories.integrations import ConnectionFactory

from .conftest import API, APPLICATION_KEY, CLIENT_KEY, SUBSCRIPTION_KEY, TOKEN_URL, captured

ACCOUNTS = [
    {"Id": 1011, "AccountNo": 3000, "Name": "Sales", "IsActive": True},
    {"Id": 1012, "AccountNo": 3100, "Name": "Sales, exempt", "IsActive": True},
]
CUSTOMER_ROW = {**captured("customer_created.json"), "Number": 10001}
VOUCHER = captured("outgoing_invoice_posted.json")
VOUCHER_ID = VOUCHER["Id"]


def make_connection(settings):
    settings.POWEROFFICE_APPLICATION_KEY = APPLICATION_KEY
    settings.POWEROFFICE_SUBSCRIPTION_KEY = SUBSCRIPTION_KEY
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    return ConnectionFactory(mode=Mode.DEMO, secrets={"client_key": CLIENT_KEY})


def mock_token(http) -> None:
    http.add("POST", TOKEN_URL, json=captured("token.json"))


def mock_reference_data(http, *, lock_date: str = "2024-12-31") -> None:
    """Lock date, customer number series, employees, accounts and VAT codes."""
    http.add("GET", f"{API}/LockDateSettings", json={"LockDate": lock_date})
    series = [s for s in NUMBER_SERIES if s["SubLedgerNumberSeriesType"] == "Customer"]
    http.add("GET", f"{API}/SubLedgerNumberSeries", json=series)
    http.add("GET", f"{API}/Employees", json=[{"Id": 77, "EmailAddress": "owner@example.com"}])
    http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
    http.add("GET", f"{API}/VatCodes", json=[{k: v for k, v in c.items()} for c in VAT_CODES])


def mock_new_customer(http, number: int = 10001) -> dict:
    """The customer is not in PowerOffice yet: the list is empty (204), the POST creates it."""
    row = {**CUSTOMER_ROW, "Number": number}
    http.add("GET", f"{API}/Customers", status=204)
    http.add("POST", f"{API}/Customers", json=row, status=201)
    return row
