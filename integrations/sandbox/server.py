"""Serve a sandbox WSGI app: in a background thread (tests, benchmarks) or in the foreground
(management commands; Ctrl-C stops it). Threaded, so parallel clients are served in parallel."""

from __future__ import annotations

import sys
import threading
import time

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

#: WSGI environ key: when the request's first line was read, on `time.monotonic`.
RECEIVED = "sandbox.received"
#: Seconds between the interpreter's thread switches in a sandbox serving in the foreground.
SWITCH_INTERVAL = 0.001


class StampingRequestHandler(WSGIRequestHandler):
    """Notes when each request came in (RECEIVED): as soon as its first line is read, before
    its headers are parsed and the app gets to it. The rate limit counts from there, as a
    gateway's edge would, rather than from when a busy sandbox gets round to the request."""

    def parse_request(self) -> bool:
        self.received = time.monotonic()
        return super().parse_request()

    def make_environ(self) -> dict:
        environ = super().make_environ()
        environ[RECEIVED] = getattr(self, "received", None)
        return environ


class QuietRequestHandler(StampingRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class SandboxServer:
    """`with SandboxServer(app) as server: requests.get(server.url + "/...")` (port 0 = free)."""

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
        self.app = app
        self.host = host
        handler = QuietRequestHandler if quiet else StampingRequestHandler
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=handler
        )
        self.port = self._server.port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sandbox:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Foreground; returns when interrupted (Ctrl-C). The process is the sandbox's own, so
        its threads hand over the interpreter every millisecond (Python's default is 5 ms): a
        request coming in while another thread validates a body is read, and stamped, within
        a millisecond, not up to five later (jitter the server would add to the network's)."""
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
