"""End-to-end fixtures: the PowerOffice and Azets sandboxes in a thread on a free port, and the
real clients pointed at them over HTTP (settings.<SYSTEM>_BASE_URLS["sandbox"] is overridden).

    def test_something(po_sandbox, po_client):     # both marked e2e by the module
        po_client.create_customer({...})
        po_sandbox.control("faults", {"error_rate": 0.3, "seed": 7})
        po_sandbox.app.books_for(DEFAULT_CLIENT_KEY)   # direct look at the state
"""

from __future__ import annotations

import pytest
import requests

from integrations.poweroffice import sandbox
from integrations.poweroffice.auth import TOKENS
from integrations.poweroffice.client import PowerOfficeClient
from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
from integrations.ratelimit import SlidingWindowRateLimiter, reset_rate_limiters
from integrations.sandbox.server import SandboxServer


class RunningSandbox:
    """A started sandbox server with helpers for its control API."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.app = server.app
        self.url = server.url

    def control(self, command: str, data: dict | None = None, method: str = "POST"):
        response = requests.request(method, f"{self.url}/_sandbox/{command}", json=data, timeout=5)
        response.raise_for_status()
        return response.json()

    def requests(self, path_contains: str = "", status: int | None = None) -> list[dict]:
        return [
            r
            for r in self.control("requests", method="GET")
            if path_contains.lower() in r["path"].lower()
            and (status is None or r["status"] == status)
        ]

    def books(self, client_key: str = sandbox.DEFAULT_CLIENT_KEY):
        return self.app.books_for(client_key)


@pytest.fixture(autouse=True)
def _fresh_client_state():
    TOKENS.clear()
    reset_rate_limiters()
    yield
    TOKENS.clear()


@pytest.fixture
def po_sandbox(settings):
    """The sandbox on a free loopback port; its own rate limit is off unless a test sets it."""
    app = PowerOfficeSandbox(config=SandboxConfig(rate_limit=None))
    with SandboxServer(app) as server:
        settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "sandbox": server.url}
        yield RunningSandbox(server)


# What PowerOffice Go's public documentation leaves open, as the sandbox can answer it (see
# integrations/poweroffice/sandbox): tests of a lost or odd answer run under every behaviour.
DUPLICATE_BEHAVIOURS = ("refuse_field", "refuse_plain", "accept")
ODD_WRITE_ANSWERS = ("empty", "no_id", "not_json")


@pytest.fixture(params=DUPLICATE_BEHAVIOURS)
def po_duplicates(request, po_sandbox) -> str:
    """The sandbox refuses a repeated reference with a field error, refuses it in other words,
    or accepts it and stores a second voucher: each test using this runs under all three."""
    po_sandbox.control("config", {"duplicates": request.param})
    return request.param


@pytest.fixture
def po_connection(po_sandbox, settings, monkeypatch):
    """An enabled PowerOffice connection to the sandbox's default client: a generous rate
    budget, short client back-offs, fresh look-up caches."""
    from integrations.poweroffice.lookups import lookups_clear
    from tests.factories.integrations import ConnectionFactory

    monkeypatch.setattr(PowerOfficeClient, "retry_backoff", 0.01)
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    settings.INTEGRATIONS_MAX_ATTEMPTS = 8
    lookups_clear()
    yield ConnectionFactory(secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY})
    lookups_clear()


def process_until_done(rounds: int = 30) -> None:
    """Run every pending transfer now (backoff waits skipped), until none is left."""
    from django.utils import timezone

    from integrations.engine import transfers_process_due
    from integrations.models import Transfer, TransferStatus

    for _round in range(rounds):
        pending = Transfer.objects.filter(status=TransferStatus.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())
        transfers_process_due()
    raise AssertionError("transfers still pending after every round")


@pytest.fixture
def azets_sandbox(settings):
    """The Azets sandbox on a free loopback port; sandbox-mode Azets connections use it."""
    from integrations.azets.sandbox.app import AzetsSandbox

    with SandboxServer(AzetsSandbox()) as server:
        settings.AZETS_BASE_URLS = {**settings.AZETS_BASE_URLS, "sandbox": server.url}
        yield RunningSandbox(server)


def make_client(client_key: str = sandbox.DEFAULT_CLIENT_KEY, **kwargs) -> PowerOfficeClient:
    client = PowerOfficeClient(
        application_key=sandbox.DEFAULT_APPLICATION_KEY,
        subscription_key=sandbox.DEFAULT_SUBSCRIPTION_KEY,
        client_key=client_key,
        mode="sandbox",
        client_name="Sandbox Demo AS",
        timeout=(2.0, 5.0),
        **kwargs,
    )
    client.retry_backoff = 0.01  # real sleeps, kept short
    return client


@pytest.fixture
def po_client(po_sandbox):
    """The real client against the running sandbox, with a generous private rate budget."""
    return make_client(rate_limiter=SlidingWindowRateLimiter(1000))
