"""The sandbox's server counts a request from when it came in, not from when it got to it."""

import socket
import time

import pytest

from integrations.sandbox.server import RECEIVED, SandboxServer


@pytest.mark.e2e
def test_a_request_is_stamped_when_it_came_in_even_if_the_sandbox_was_busy():
    seen: list[float] = []

    def app(environ, start_response):
        seen.append(environ[RECEIVED])
        start_response("204 No Content", [])
        return []

    with SandboxServer(app) as server:
        accept = server._server.process_request

        def busy_accept(*args):  # a sandbox too busy to take the connection at once
            time.sleep(0.5)
            return accept(*args)

        server._server.process_request = busy_accept
        with socket.create_connection((server.host, server.port)) as client:
            sent = time.monotonic()
            client.sendall(b"GET /x HTTP/1.1\r\nHost: sandbox\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.1 204")

    assert len(seen) == 1
    assert seen[0] - sent < 0.25  # when it came in; the sandbox got to it 0.5 s later
