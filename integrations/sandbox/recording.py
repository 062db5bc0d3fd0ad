"""Request recording: what a sandbox received and answered, for tests and benchmarks."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    body: str
    dropped: bool
    at: float


class RequestLog:
    """Thread-safe, bounded list of recorded requests (secrets are never in bodies we keep:
    headers are not recorded, and the token form is replaced)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []
        self.limit = limit

    def record(self, method, path, query, status, body: bytes, dropped=False) -> None:
        text = body.decode("utf-8", "replace")[:4000] if body else ""
        item = RecordedRequest(method, path, query, status, text, dropped, time.time())
        with self._lock:
            self._items.append(item)
            del self._items[: max(0, len(self._items) - self.limit)]

    def items(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(item) for item in self.items()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
