"""Fault injection for sandboxes, switchable per run and deterministic (seeded RNG).

- latency / jitter: the round trip of the network, in seconds: each request takes
  `latency` ± `jitter` (uniform, seeded), half on the way in (before the request is handled,
  the rate limit counted) and half on the way back (after it was handled), as a request to a
  distant server would; so the server sees arrivals move by ± jitter/2 against the sends;
- error_rate: share of requests answered 500 *before* anything is stored;
- drop_rate: share of successful writes whose response is dropped *after* the write was stored
  (the client sees a broken connection and cannot know the write happened);
- throttle_rate: share of requests answered 429 with `Retry-After: retry_after` seconds, before
  anything is stored;
- unauthorized: every request is answered 401 (credentials revoked) until switched off;
- fail_next / fail_status: the next N requests are answered with this status (500, 503 or 429
  with Retry-After) before anything is stored, a deterministic storm "for a while";
- paths: if not empty, faults only hit requests whose path contains one of these texts
  (case-insensitive), e.g. ["/Vouchers/"] to drop only the voucher post;
- write_latency: extra seconds for writes (not GET/HEAD) whose path contains a text, e.g.
  {"/Vouchers/": 1.5}: voucher posts are slow, look-ups are not (a soak kills workers while
  such a post is in flight; see `GET /_sandbox/inflight`).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import asdict, dataclass, field, fields


@dataclass
class FaultConfig:
    latency: float = 0.0
    jitter: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    throttle_rate: float = 0.0
    retry_after: int = 1
    unauthorized: bool = False
    fail_next: int = 0
    fail_status: int = 500
    paths: list[str] = field(default_factory=list)
    write_latency: dict[str, float] = field(default_factory=dict)


class FaultInjector:
    def __init__(self, seed: int = 0, sleep=time.sleep) -> None:
        self._lock = threading.Lock()
        self._sleep = sleep
        self.configure(**{**asdict(FaultConfig()), "seed": seed})

    def configure(self, **changes) -> FaultConfig:
        """Change some settings; a new seed restarts the random sequence."""
        known = {f.name for f in fields(FaultConfig)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        for name in ("latency", "jitter"):
            if name in changes and float(changes[name]) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("error_rate", "drop_rate", "throttle_rate"):
            if name in changes and not 0.0 <= float(changes[name]) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        slow = changes.get("write_latency") or {}
        if not isinstance(slow, dict) or any(float(v) < 0 for v in slow.values()):
            raise ValueError("write_latency must map path texts to seconds (0 or more)")
        with self._lock:
            current = asdict(getattr(self, "config", FaultConfig()))
            self.config = FaultConfig(**{**current, **changes})
            if "seed" in changes or not hasattr(self, "_random"):
                self._random = random.Random(self.config.seed)  # noqa: S311 (not crypto)
            return self.config

    def _draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def round_trip(self) -> float:
        """This request's round trip: latency ± jitter, never negative."""
        latency, jitter = self.config.latency, self.config.jitter
        if latency <= 0 and jitter <= 0:
            return 0.0
        if jitter <= 0:
            return latency
        with self._lock:
            return max(0.0, latency + self._random.uniform(-jitter, jitter))

    def write_delay(self, method: str, path: str) -> float:
        """Extra seconds a write to a slowed path takes to be handled (`write_latency`)."""
        if method in ("GET", "HEAD"):
            return 0.0
        slow = self.config.write_latency.items()
        return max((float(v) for p, v in slow if p.lower() in path.lower()), default=0.0)

    def delay(self, seconds: float) -> None:
        """Sleep one half of a round trip (the way in or the way back), or a write's delay."""
        if seconds > 0:
            self._sleep(seconds)

    def should_fail(self) -> bool:
        return self._draw(self.config.error_rate)

    def should_drop(self) -> bool:
        return self._draw(self.config.drop_rate)

    def applies(self, path: str) -> bool:
        paths = self.config.paths
        return not paths or any(p.lower() in path.lower() for p in paths)

    def forced_status(self) -> int | None:
        """The status of the storm's next answer, or None when no storm is on."""
        with self._lock:
            if self.config.fail_next <= 0:
                return None
            self.config.fail_next -= 1
            return int(self.config.fail_status)

    def should_throttle(self) -> bool:
        return self._draw(self.config.throttle_rate)


def drop_connection(environ: dict) -> None:
    """Close the client's connection without an answer (werkzeug's server exposes the socket)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
