"""A request leaves on its tick: the rate limiter's wait ends as its bytes are written, over a
connection already open (issue 19)."""

import socket
import time

import pytest
import responses

from integrations import errors
from integrations.http import ApiSession
from integrations.sandbox.server import RECEIVED, SandboxServer


def _stamping_app(seen: list):
    def app(environ, start_response):
        seen.append(environ[RECEIVED])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    return app


@pytest.mark.e2e
def test_the_wait_ends_just_before_the_request_is_written_on_an_open_connection():
    seen: list[float] = []
    waits: list[tuple[float, int]] = []
    with SandboxServer(_stamping_app(seen)) as server:
        accepted = []
        accept = server._server.process_request
        server._server.process_request = lambda *a: (accepted.append(1), accept(*a))

        def wait_for_tick() -> None:  # a sender waiting for its tick
            expected = len(waits) + 1  # this request's connection (the server closes each)
            deadline = time.monotonic() + 5
            while len(accepted) < expected and time.monotonic() < deadline:
                time.sleep(0.01)
            waits.append((time.monotonic(), len(accepted)))

        session = ApiSession(role="departure-test")
        for _ in range(2):
            response = session.request("GET", server.url + "/x", before_send=wait_for_tick)
            assert response.status_code == 200

    # This server closes every connection after its answer, so each request opens one: it was
    # open while the request waited, so no handshake comes after the wait.
    assert [connections for _, connections in waits] == [1, 2]
    assert len(seen) == 2
    for (waited, _), received in zip(waits, seen, strict=True):
        assert received >= waited  # written after the wait, not during it


@pytest.mark.e2e
def test_a_request_that_never_leaves_spends_no_tick():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    calls = []
    session = ApiSession(role="departure-test")
    with pytest.raises(errors.Unavailable):
        session.request("GET", f"http://127.0.0.1:{port}/x", before_send=lambda: calls.append(1))
    assert calls == []


def test_a_mocked_answer_still_counts_the_request_once(http):
    http.add(responses.GET, "https://api.example/x", status=204)
    calls = []
    ApiSession(role="departure-test").request(
        "GET", "https://api.example/x", before_send=lambda: calls.append(1)
    )
    assert calls == [1]
