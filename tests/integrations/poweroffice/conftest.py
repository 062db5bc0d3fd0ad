"""Fixtures for PowerOffice tests: clean token/limiter state, a client on a mocked host, and a
contract check of every request each test made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from integrations.poweroffice.auth import TOKENS
from integrations.poweroffice.client import PowerOfficeClient
from integrations.poweroffice.lookups import lookups_clear
from integrations.ratelimit import SlidingWindowRateLimiter, reset_rate_limiters

from .contract_helpers import assert_requests_match_contract

RESPONSES_DIR = Path(__file__).with_name("responses")
BASE = "https://goapi.poweroffice.net/Demo"
API = f"{BASE}/v2"
TOKEN_URL = f"{BASE}/OAuth/Token"
APPLICATION_KEY = "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
CLIENT_KEY = "0f1e2d3c-4b5a-4697-8877-66554433221a"
SUBSCRIPTION_KEY = "sub-0123456789abcdef0123456789abcdef"


def captured(name: str):
    """A captured response body from responses/ (parsed JSON, or text for other files)."""
    text = (RESPONSES_DIR / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture(autouse=True)
def _fresh_poweroffice_state():
    TOKENS.clear()
    reset_rate_limiters()
    lookups_clear()
    yield
    TOKENS.clear()
    reset_rate_limiters()
    lookups_clear()


@pytest.fixture(autouse=True)
def contract_check(http):
    """After each test: every request it made must match contract.json."""
    yield http
    assert_requests_match_contract(http)


class FakeClock:
    """Time that only moves when someone sleeps: limiter and retry tests without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def po_settings(settings):
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS, "demo": BASE}
    settings.POWEROFFICE_RATE_LIMIT = 10.0
    return settings


@pytest.fixture
def client(po_settings, clock):
    """A demo-mode client against the mocked PowerOffice host; sleeping advances `clock`."""
    return PowerOfficeClient(
        application_key=APPLICATION_KEY,
        client_key=CLIENT_KEY,
        subscription_key=SUBSCRIPTION_KEY,
        mode="demo",
        client_name="Fjordkraft Catering AS",
        rate_limiter=SlidingWindowRateLimiter(10, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )


@pytest.fixture
def token(http):
    """The token endpoint answers with the captured token."""
    return http.add("POST", TOKEN_URL, json=captured("token.json"))
