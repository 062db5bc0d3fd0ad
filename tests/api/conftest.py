import json

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from integrations import registry
from integrations.base import BaseConnector
from integrations.models import Connection
from tests.factories.api import ApiTokenFactory

BASE = "/api/v1"


class RecordingConnector(BaseConnector):
    """Handles every kind and exports nothing: transfers stay queued for the test to read."""

    system = "azets"

    def handles(self, kind: str) -> bool:
        return True


class Api:
    """The test client speaking JSON with a bearer token (and an Idempotency-Key if given)."""

    def __init__(self, token):
        self.token = token
        self.client = token.client
        self.http = HttpClient()

    def headers(self, key=None, token=None):
        headers = {"Authorization": f"Bearer {token or self.token.plaintext}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def call(self, method, path, body=None, *, key=None, token=None, raw=None, **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/json"} if data is not None else {}
        return getattr(self.http, method)(
            BASE + path, data, headers=self.headers(key, token), **kwargs, **extra
        )

    def get(self, path, **params):
        return self.http.get(BASE + path, params, headers=self.headers())

    def get_with_token(self, path, token):
        return self.http.get(BASE + path, headers=self.headers(token=token))

    def put(self, path, body, **kwargs):
        return self.call("put", path, body, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.call("post", path, body, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db):
    return Api(ApiTokenFactory())


@pytest.fixture
def other_api(db):
    """A second client with its own token."""
    return Api(ApiTokenFactory())


@pytest.fixture
def connected(api):
    """An enabled connection of the API's client, so writes queue transfers."""
    with registry.override(RecordingConnector()):
        yield Connection.objects.create(client=api.client, system="azets", enabled=True)


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    return body


def pointers(response) -> dict[str, str]:
    """{pointer or parameter: message} of a problem's field errors."""
    errors = problem(response)["errors"]
    return {error.get("pointer") or error.get("parameter"): error["detail"] for error in errors}
