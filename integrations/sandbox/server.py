"""Serve a sandbox WSGI app: in a background thread (tests, benchmarks) or in the foreground
(management commands; Ctrl-C stops it). Threaded, so parallel clients are served in parallel."""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

#: WSGI environ key: when the request's first line was read, on `time.monotonic`.
RECEIVED = "sandbox.received"
#: Seconds between the interpreter's thread switches in a sandbox serving in the foreground.
SWITCH_INTERVAL = 0.001


#: Linux's SO_TIMESTAMPNS (not in Python's socket module): the kernel stamps each packet it
#: receives, and `recvmsg` hands the stamp over.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class StampingRequestHandler(WSGIRequestHandler):
    """Notes when each request came in (RECEIVED), as a gateway's edge would count it, rather
    than when a busy sandbox gets round to it: the kernel's receive stamp of its first packet
    where the listening socket asked for stamps (Linux: it is taken even while the
    connection waits to be accepted and a thread to be started for it), otherwise the moment
    its first line is read."""

    def handle_one_request(self) -> None:
        self.received = self._first_packet_arrival()
        return super().handle_one_request()

    def parse_request(self) -> bool:
        if getattr(self, "received", None) is None:
            self.received = time.monotonic()
        return super().parse_request()

    def make_environ(self) -> dict:
        environ = super().make_environ()
        environ[RECEIVED] = getattr(self, "received", None)
        return environ

    def _first_packet_arrival(self) -> float | None:
        """When the next request's first packet reached this machine (on `time.monotonic`),
        read without consuming it; None where the kernel gives no stamp (not Linux, TLS)."""
        try:
            data, ancillary, _flags, _address = self.connection.recvmsg(
                1, socket.CMSG_SPACE(16), socket.MSG_PEEK
            )
        except (AttributeError, NotImplementedError, OSError, ValueError):
            return None
        for level, kind, payload in ancillary:
            if data and level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
                return time.monotonic() - (time.time() - (seconds + nanoseconds / 1e9))
        return None


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
        if sys.platform.startswith("linux"):  # elsewhere: stamped as the first line is read
            # Accepted connections inherit the option (see StampingRequestHandler).
            self._server.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
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
