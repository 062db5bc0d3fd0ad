"""Connection services: secrets, broken/fixed state and the connection test."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notify
from .base import ConnectionTestResult
from .errors import ConnectionMisconfigured, IntegrationError
from .http import redact
from .models import Connection, Transfer, TransferStatus
from .outbox import transfer_schedule
from .registry import get_connector

logger = logging.getLogger(__name__)


@transaction.atomic
def connection_secrets_update(*, connection: Connection, values: dict[str, str]) -> Connection:
    """Set the secrets given with a value; blank values keep what is stored. New credentials
    have not been tested, so the last test's outcome is forgotten (the checklist asks again);
    transfers that waited for the connection to be complete are released."""
    stored = connection.secrets or {}
    changed = {name: value for name, value in values.items() if value and stored.get(name) != value}
    if changed:
        connection.secrets = {**stored, **changed}
        connection.last_test_ok, connection.last_test_result = None, ""
        connection.save(update_fields=["secrets", "last_test_ok", "last_test_result", "updated_at"])
        connection_waiting_release(connection=connection)  # those waiting for a missing key
    return connection


@transaction.atomic
def connection_mark_broken(*, connection: Connection, reason: str) -> Connection:
    """The system rejected the credentials: stop sending until the connection is fixed."""
    first_time = not Connection.objects.filter(
        pk=connection.pk, broken_since__isnull=False
    ).exists()
    connection.broken_since = connection.broken_since or timezone.now()
    connection.broken_reason = redact(reason, connection.secret_values())[:2000]
    connection.save(update_fields=["broken_since", "broken_reason", "updated_at"])
    logger.warning("Connection %s marked broken: %s", connection.pk, connection.broken_reason)
    if first_time:
        transaction.on_commit(lambda: notify.connection_broken_notify(connection=connection))
    return connection


@transaction.atomic
def connection_mark_fixed(*, connection: Connection) -> int:
    """Clear the broken flag and release the transfers that waited. Returns how many."""
    connection.broken_since = None
    connection.broken_reason = ""
    connection.save(update_fields=["broken_since", "broken_reason", "updated_at"])
    return connection_waiting_release(connection=connection)


@transaction.atomic
def connection_enable(*, connection: Connection) -> int:
    """Enable the connection (if it is not yet) and send what waited for it: documents
    finalized while it was disabled, and anything queued before it was disabled. Every path
    that switches a connection on calls this (the admin's save included). Returns how many
    transfers were released. Records dated before `enabled_since` are still skipped by the
    exporters, as for any transfer."""
    if not connection.enabled:
        connection.enabled = True
        connection.save(update_fields=["enabled", "updated_at"])
    return connection_waiting_release(connection=connection)


@transaction.atomic
def connection_waiting_release(*, connection: Connection) -> int:
    """Make the connection's pending transfers due now and hand them to the queue when the
    transaction commits (unless the connection still cannot send: disabled or broken; the
    sweep takes them once it can). Returns how many were released."""

    waiting = Transfer.objects.filter(connection=connection, status=TransferStatus.PENDING)
    ids = list(waiting.values_list("pk", flat=True))
    waiting.update(next_attempt_at=timezone.now(), queued_at=None)
    if connection.enabled and not connection.is_broken:
        for transfer_id in ids:
            transaction.on_commit(lambda transfer_id=transfer_id: transfer_schedule(transfer_id))
    return len(ids)


def connection_test(*, connection: Connection) -> ConnectionTestResult:
    """Ask the connector whether the credentials and the endpoint work; store the answer.
    A passing test of a broken connection releases its waiting transfers."""
    try:
        result = get_connector(connection.system).test_connection(connection)
    except (IntegrationError, ConnectionMisconfigured) as err:
        result = ConnectionTestResult(False, str(err))
    message = redact(result.message, connection.secret_values())[:2000]
    result = ConnectionTestResult(result.ok, message)
    with transaction.atomic():
        connection.last_tested_at = timezone.now()
        connection.last_test_ok = result.ok
        connection.last_test_result = message
        connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_result"])
        if result.ok and connection.is_broken:
            released = connection_mark_fixed(connection=connection)
            result = ConnectionTestResult(
                True, _("%(message)s %(count)d waiting transfers released.")
                % {"message": message, "count": released},
            )
    return result
