"""Knowledge every worker of every machine shares through the configured Django cache (issue 19):
PowerOffice tokens and reference data, read once per connection instead of once per process.

Each value is also kept in the process for a short while (`LOCAL_SECONDS`), so a transfer reads
the shared cache at most once per value and half minute, not once per use. A cache outage is not
a transfer's failure: the value is then fetched again, as without sharing (logged once).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

#: Seconds a process reuses a shared value before it looks at the shared cache again (so a
#: value another process dropped as stale is dropped here within this time).
LOCAL_SECONDS = 30.0

_warned = threading.Event()


def _cache():
    from django.core.cache import caches

    return caches["default"]


def _failed(action: str) -> None:
    if not _warned.is_set():
        _warned.set()
        logger.warning("Shared cache %s failed; values are fetched per process", action,
                       exc_info=True)  # fmt: skip


def shared_get(key: str) -> Any:
    try:
        return _cache().get(key)
    except Exception:  # noqa: BLE001 - see the module text
        _failed("read")
        return None


def shared_set(key: str, value: Any, seconds: float) -> None:
    try:
        _cache().set(key, value, timeout=max(1, int(seconds)))
    except Exception:  # noqa: BLE001
        _failed("write")


def shared_add(key: str, value: Any, seconds: float) -> bool:
    """Set `key` only if absent (a short cross-process lock); True when this caller set it."""
    try:
        return bool(_cache().add(key, value, timeout=max(1, int(seconds))))
    except Exception:  # noqa: BLE001
        _failed("write")
        return True


def shared_delete(key: str) -> None:
    try:
        _cache().delete(key)
    except Exception:  # noqa: BLE001
        _failed("delete")


def wall_clock() -> float:
    return time.time()
