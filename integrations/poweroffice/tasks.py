"""Django-Q2 entry points of the PowerOffice connector (thin: look up, call one service)."""

from __future__ import annotations

import logging

from integrations.models import Connection

from .schedules import FLAGS
from .services import poweroffice_import_enqueue

logger = logging.getLogger(__name__)


def poweroffice_import_scheduled_task(connection_id: int, kind: str) -> int | None:
    """Queue the daily import if the connection and the import are still switched on."""
    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    settings_row = getattr(connection, "poweroffice_settings", None) if connection else None
    if settings_row is None or not getattr(settings_row, FLAGS[kind][0]):
        logger.info("Scheduled %s for connection %s skipped: switched off", kind, connection_id)
        return None
    return poweroffice_import_enqueue(connection=connection, kind=kind).pk
