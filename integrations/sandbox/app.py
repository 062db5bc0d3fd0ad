"""The WSGI base every connector sandbox subclasses.

A subclass implements `dispatch(request) -> Response` (and may add control commands with
`control_command()`, state with `snapshot()`/`reset()`). The base adds, for every request that is
not a control call: latency (half on the way in, half on the way back) and 500s from fault
injection, dropped responses after a stored write, recording, ProblemDetails for handler
errors and 501 for anything not emulated.

Control API (JSON), for tests and benchmarks:
    GET  /_sandbox/state           what the sandbox holds (subclass snapshot)
    POST /_sandbox/reset           back to the seeded state; faults off; log cleared
    GET  /_sandbox/faults          current fault settings
    POST /_sandbox/faults          {"latency": 0.2, "jitter": 0.04, "error_rate": 0.3,
                                    "drop_rate": 0.1, "seed": 7, "throttle_rate": 0.5,
                                    "retry_after": 2, "unauthorized": true}
    GET  /_sandbox/requests        recorded requests;  DELETE clears them
    GET  /_sandbox/inflight        requests being handled right now (method, path, body, since),
                                   e.g. for killing a client while its write is in flight
    POST /_sandbox/<command>       subclass commands (see control_command)
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import asdict
from typing import Any

from werkzeug.wrappers import Request, Response

from .faults import FaultConfig, FaultInjector, drop_connection
from .problems import NotEmulated, Problem, json_response, not_emulated, problem
from .recording import RequestLog
from .server import RECEIVED

logger = logging.getLogger(__name__)
CONTROL_PREFIX = "/_sandbox/"
#: WSGI environ key: when the request reaches the server, on the sandbox's clock.
ARRIVAL = "sandbox.arrival"


class SandboxApp:
    name = "sandbox"

    def __init__(self, *, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.faults = FaultInjector(seed)
        self.log = RequestLog()
        self._inflight: dict[int, dict[str, Any]] = {}
        self._inflight_ids = itertools.count(1)
        self._inflight_lock = threading.Lock()

    # -- for subclasses ----------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        raise NotEmulated

    def fault_exempt(self, request: Request) -> bool:
        """Requests that never get injected faults (e.g. a token endpoint)."""
        return False

    def snapshot(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        """Back to the seeded state."""

    def control_command(self, name: str, request: Request, data: dict[str, Any]) -> Response:
        return problem(404, "Unknown sandbox command", f"{name} is not a control command.")

    # -- WSGI ----------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            return self.control(request)(environ, start_response)
        key = next(self._inflight_ids)
        with self._inflight_lock:
            self._inflight[key] = {
                "method": request.method,
                "path": request.path,
                "body": request.get_data().decode("utf-8", "replace")[:4000],
                "since": time.time(),
            }
        try:
            response, dropped = self.serve(request)
        finally:
            with self._inflight_lock:
                del self._inflight[key]
        self.log.record(
            request.method,
            request.path,
            request.query_string.decode(),
            response.status_code,
            request.get_data(),
            dropped,
        )
        if dropped:
            drop_connection(environ)
        return response(environ, start_response)

    def serve(self, request: Request) -> tuple[Response, bool]:
        exempt = self.fault_exempt(request) or not self.faults.applies(request.path)
        way = self.faults.round_trip() / 2  # the network: every request, token ones too
        # When it reaches the server: counted from when it came in (the kernel's stamp of its
        # first packet, see sandbox.server), not from when this (possibly busy) process gets
        # round to it or wakes after the delay, as a gateway's edge would count it.
        received = request.environ.get(RECEIVED)
        request.environ[ARRIVAL] = (time.monotonic() if received is None else received) + way
        self.faults.delay(way)  # the request travelling in
        try:
            return self._serve(request, exempt)
        finally:
            self.faults.delay(way)  # the answer travelling back

    def _serve(self, request: Request, exempt: bool) -> tuple[Response, bool]:
        if not exempt:
            self.faults.delay(self.faults.write_delay(request.method, request.path))
            injected = self.injected_fault()
            if injected is not None:
                return injected, False
        try:
            response = self.dispatch(request)
        except NotEmulated as err:
            response = not_emulated(request.method, request.path, str(err))
        except Problem as err:
            response = err.response()
        except Exception:  # a sandbox bug must answer, not hang the client
            logger.exception("%s sandbox failed on %s %s", self.name, request.method, request.path)
            response = problem(500, "Sandbox error", "The sandbox failed; see its log.")
        is_write = request.method not in ("GET", "HEAD")
        dropped = (
            not exempt and is_write and response.status_code < 300 and self.faults.should_drop()
        )
        return response, dropped

    def injected_fault(self) -> Response | None:
        """The answer of a switched-on fault that strikes before anything is handled: the next
        answer of a storm, 401 while `unauthorized`, 429 with Retry-After, or 500."""
        config = self.faults.config
        status = self.faults.forced_status()
        if status is not None:
            headers = {"Retry-After": str(config.retry_after)} if status == 429 else None
            return problem(status, "Injected fault", "Injected storm.", headers=headers)
        if config.unauthorized:
            return problem(401, "Unauthorized", "Injected fault: the credentials were refused.")
        if self.faults.should_throttle():
            headers = {"Retry-After": str(config.retry_after)}
            return problem(429, "Too Many Requests", "Injected fault.", headers=headers)
        if self.faults.should_fail():
            return problem(500, "Internal Server Error", "Injected fault.")
        return None

    def control(self, request: Request) -> Response:
        name = request.path[len(CONTROL_PREFIX) :].strip("/")
        data = request.get_json(silent=True) or {}
        try:
            return self._control(name, request, data)
        except KeyError as err:  # a missing key or an unknown name (scope, client key)
            return problem(400, "Bad sandbox command", f"Missing or unknown: {err}.")
        except (ValueError, TypeError) as err:
            return problem(400, "Bad sandbox command", str(err))
        except Problem as err:  # a seed refusing its data
            return err.response()

    def _control(self, name: str, request: Request, data: dict[str, Any]) -> Response:
        if name == "state" and request.method == "GET":
            return json_response(self.snapshot())
        if name == "reset" and request.method == "POST":
            self.reset()
            self.faults.configure(**asdict(FaultConfig()))
            self.log.clear()
            return json_response({"reset": True})
        if name == "faults":
            if request.method == "POST":
                self.faults.configure(**data)
            return json_response(asdict(self.faults.config))
        if name == "inflight" and request.method == "GET":
            with self._inflight_lock:
                return json_response(list(self._inflight.values()))
        if name == "requests":
            if request.method == "DELETE":
                self.log.clear()
            return json_response(self.log.as_json())
        return self.control_command(name, request, data)
