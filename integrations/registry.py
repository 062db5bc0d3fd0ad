"""The connector registry: which connector serves which `System`.

Connectors are listed once in `CONNECTOR_PATHS` (dotted path to the connector class) and loaded
by `autodiscover()` when the app is ready. A listed package that does not exist yet is skipped,
so main keeps running while a connector is being written. Tests use `override()`.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .errors import ConnectionMisconfigured
from .models import System

if TYPE_CHECKING:
    from .base import BaseConnector

logger = logging.getLogger(__name__)

# System -> "package.ClassName". Add a line here when a connector is added.
CONNECTOR_PATHS: dict[str, str] = {
    System.POWEROFFICE: "integrations.poweroffice.PowerOfficeConnector",
    System.AZETS: "integrations.azets.AzetsConnector",
}

CONNECTORS: dict[str, BaseConnector] = {}


def register(connector: BaseConnector) -> BaseConnector:
    """Make `connector` serve its `system`. Replaces any connector registered before."""
    if connector.system not in System.values:
        raise ConnectionMisconfigured(
            f"{type(connector).__name__}.system {connector.system!r} is not a System choice."
        )
    CONNECTORS[connector.system] = connector
    return connector


def get_connector(system: str) -> BaseConnector:
    """The connector for `system`; ConnectionMisconfigured when none is registered."""
    try:
        return CONNECTORS[system]
    except KeyError:
        raise ConnectionMisconfigured(
            _("No connector is registered for system “%(system)s”.") % {"system": system}
        ) from None


def connection_relations() -> tuple[str, ...]:
    """Rows one-to-one with a Connection that registered connectors read on every transfer
    (e.g. PowerOffice Go's settings): the engine loads them with the transfer it claims."""
    return tuple(sorted({name for c in CONNECTORS.values() for name in c.connection_related}))


def connector_or_none(system: str) -> BaseConnector | None:
    return CONNECTORS.get(system)


def autodiscover() -> None:
    """Import and register every connector in CONNECTOR_PATHS whose package exists."""
    for system, path in CONNECTOR_PATHS.items():
        module_name, _, class_name = path.rpartition(".")
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        connector_class = getattr(module, class_name, None)
        if connector_class is None:
            logger.warning("%s has no %s yet; %s is not available", module_name, class_name, system)
            continue
        register(connector_class())


@contextmanager
def override(connector: BaseConnector) -> Iterator[BaseConnector]:
    """Register `connector` for its system for the duration of a block (tests)."""
    previous = CONNECTORS.get(connector.system)
    register(connector)
    try:
        yield connector
    finally:
        if previous is None:
            CONNECTORS.pop(connector.system, None)
        else:
            CONNECTORS[connector.system] = previous
