"""Check HTTP calls recorded by `responses` against the PowerOffice contract.

Every test in tests/integrations/poweroffice/ runs `assert_requests_match_contract(http)` after
the test body (autouse fixture in conftest.py), so a payload that drifts from the real API fails
the test that sent it. Elsewhere, call it yourself or use the helpers to read what was sent:

    from tests.integrations.poweroffice.contract_helpers import (
        assert_requests_match_contract, sent_json)
    client.create_customer(payload)
    assert sent_json(http, "POST", "/Customers")["Name"] == "Fjord AS"
    assert_requests_match_contract(http)
"""

from __future__ import annotations

import json
from typing import Any

import responses
from requests import PreparedRequest

from integrations.poweroffice import contract


def request_problems(request: PreparedRequest) -> list[str]:
    """Everything wrong with one request as sent, per contract.json ([] when it matches)."""
    headers = dict(request.headers)
    if contract.is_token_url(request.url):
        return contract.token_request_errors(request.method, headers, request.body)
    problems = []
    if not headers.get("Authorization", "").startswith("Bearer "):
        problems.append("API calls need Authorization: Bearer <access token>")
    if not headers.get(contract.SUBSCRIPTION_HEADER):
        problems.append(f"API calls need the {contract.SUBSCRIPTION_HEADER} header")
    try:
        contract.validate_http_request(
            request.method, request.url, headers.get("Content-Type"), request.body
        )
    except contract.ContractViolation as err:
        problems += err.errors
    return problems


def assert_requests_match_contract(http: responses.RequestsMock) -> None:
    """Fail listing every recorded PowerOffice request that does not match the contract."""
    failures = []
    for call in http.calls:
        problems = request_problems(call.request)
        if problems:
            failures.append(
                f"{call.request.method} {call.request.url}:\n  " + "\n  ".join(problems)
            )
    assert not failures, "Requests that do not match contract.json:\n" + "\n".join(failures)


def sent_requests(http: responses.RequestsMock, method: str, path: str) -> list[PreparedRequest]:
    """Requests sent with this method to this API path (below /v2, query ignored)."""
    return [
        call.request
        for call in http.calls
        if call.request.method == method
        and contract.api_path(call.request.url).lower() == path.lower()
    ]


def sent_json(http: responses.RequestsMock, method: str, path: str) -> Any:
    """The JSON body of the last request sent with this method to this path."""
    requests = sent_requests(http, method, path)
    assert requests, f"no {method} {path} was sent"
    return json.loads(requests[-1].body)
