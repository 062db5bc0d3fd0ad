"""Keep a sandbox's books across restarts: a JSON file, rewritten after every write.

`make run` starts the sandboxes afresh each time; without this, the demo's customers, vouchers
and products are gone after a restart, so the demo's updates answer 404. The management commands
wrap the sandbox app in `PersistedSandbox`, which loads the file at start and saves after every
request that may have changed something (any method but GET/HEAD/OPTIONS, control calls too).

What is saved is each sandbox's business: `integrations/<system>/sandbox/persistence.py` says
which state to dump and how to put it back (`dump(app) -> dict`, `load(app, data)`). This module
holds the file handling and a tagged JSON encoding for the values books hold that JSON lacks
(bytes, dates, Decimals, integer-keyed dicts, itertools counters).

Tests that start a sandbox in a thread use the bare app: nothing is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
FORMAT_VERSION = 1


class Unencodable(TypeError):
    """A value the state file cannot hold (a lock, a function): its attribute is not saved."""


# -- tagged JSON ------------------------------------------------------------------------------
def counter_next(counter: itertools.count) -> int:
    """The value an itertools.count yields next, without consuming it ("count(1005)")."""
    match = re.fullmatch(r"count\((-?\d+)\)", repr(counter))
    if match is None:
        raise Unencodable(f"counter {counter!r} has a step")
    return int(match.group(1))


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: encode(item) for key, item in value.items()}
        return {"__items__": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, itertools.count):
        return {"__count__": counter_next(value)}
    raise Unencodable(f"{type(value).__name__} cannot be saved")


DECODERS: dict[str, Callable[[Any], Any]] = {
    "__bytes__": lambda v: base64.b64decode(v),
    "__datetime__": dt.datetime.fromisoformat,
    "__date__": dt.date.fromisoformat,
    "__decimal__": Decimal,
    "__count__": itertools.count,
    "__items__": lambda items: {decode(key): decode(item) for key, item in items},
}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag in DECODERS:
                return DECODERS[tag](inner)
        return {key: decode(item) for key, item in value.items()}
    return value


def attributes_dump(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every attribute of `obj` that can be encoded (others, such as locks, are left out)."""
    saved = {}
    for name, value in vars(obj).items():
        if name in skip:
            continue
        try:
            saved[name] = encode(value)
        except Unencodable:
            logger.debug("sandbox state: %s.%s is not saved", type(obj).__name__, name)
    return saved


def attributes_load(obj: Any, saved: dict[str, Any]) -> None:
    """Put saved attributes back on a freshly built `obj`; names it no longer has are ignored
    (a file written by an older sandbox still loads)."""
    for name, value in saved.items():
        if name in vars(obj):
            setattr(obj, name, decode(value))


# -- the file ---------------------------------------------------------------------------------
class PersistedSandbox:
    """WSGI wrapper: `PersistedSandbox(app, path, dump=..., load=...)`. Loads `path` (if it
    exists) at construction; saves after each write request, atomically (temp file + rename)."""

    def __init__(self, app, path: str | os.PathLike, *, dump: Callable[[Any], dict],
                 load: Callable[[Any, dict], None]) -> None:
        self.app = app
        self.path = Path(path)
        self._dump, self._load = dump, load
        self.loaded = self.restore()

    def restore(self) -> bool:
        if not self.path.exists():
            return False
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            logger.warning("sandbox state %s is unreadable (%s); starting empty", self.path, err)
            return False
        if document.get("version") != FORMAT_VERSION:
            logger.warning("sandbox state %s has another format; starting empty", self.path)
            return False
        with self.app.lock:
            self._load(self.app, document["state"])
        return True

    def save(self) -> None:
        with self.app.lock:
            document = {"version": FORMAT_VERSION, "system": self.app.name,
                        "state": self._dump(self.app)}
        text = json.dumps(document, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __call__(self, environ, start_response):
        try:
            yield from self.app(environ, start_response)
        finally:
            if environ.get("REQUEST_METHOD", "GET").upper() not in READ_ONLY_METHODS:
                try:
                    self.save()
                except OSError as err:  # a full disk must not take the sandbox down
                    logger.error("sandbox state %s not saved: %s", self.path, err)

    def __getattr__(self, name):
        # The server and tests may reach through to the app (e.g. `.lock`, `.name`).
        return getattr(self.app, name)


def state_file(system: str, *, database: dict | None = None) -> Path:
    """Where `make run` keeps a sandbox's books: SANDBOX_STATE_DIR, by default beside the SQLite
    database (or the project directory when the database is PostgreSQL)."""
    from django.conf import settings

    directory = getattr(settings, "SANDBOX_STATE_DIR", None)
    if not directory:
        database = database or settings.DATABASES["default"]
        name = str(database.get("NAME") or "")
        sqlite = database["ENGINE"].endswith("sqlite3") and name and name != ":memory:"
        directory = Path(name).parent if sqlite else settings.BASE_DIR
    return Path(directory) / f"sandbox-{system}.json"
