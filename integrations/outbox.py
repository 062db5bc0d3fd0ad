"""The transactional outbox: the only integrations API that `accounting` and `pos` call.

A domain service calls `transfer_enqueue()` inside its own transaction. The Transfer rows commit
or roll back with the domain change; only after commit is the work handed to Django-Q2. If that
hand-off is lost (queue down, worker crash), the sweep in `engine.transfers_sweep()` finds the
pending row within a minute.

Besides enqueueing, the few things a domain app may ask of integrations without knowing their
internals: `connection_for()` (which connection serves a client), `transfers_pending()` and
`transfers_run_now()` (a command that runs its transfers in-process, not via the queue), and
`connector_pos_settings_test()` (the connector's check of POS settings, through the registry).

Dependencies go one way: the domain calls the outbox, the outbox records (and hands work to
the queue), the engine runs. The outbox imports neither the engine nor the connection
services; they import it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .base import ConnectionTestResult, PosProduct
from .errors import ConnectionMisconfigured, IntegrationError
from .fairness import transfer_priority_for
from .models import (
    DOCUMENT_KINDS,
    Connection,
    Operation,
    System,
    Transfer,
    TransferKind,
    TransferStatus,
)
from .registry import connector_or_none

__all__ = [
    "ConnectionTestResult",
    "Operation",
    "System",
    "TransferKind",
    "connection_for",
    "connector_pos_products",
    "connector_pos_settings_test",
    "invoice_transfer_check",
    "transfer_enqueue",
    "transfer_schedule",
    "transfers_pending",
    "transfers_run_now",
]

logger = logging.getLogger(__name__)

PROCESS_TASK = "integrations.tasks.transfer_process_task"


def _client_of(obj: models.Model, connection: Connection | None):
    from accounting.models import Client

    if connection is not None:
        return connection.client
    if isinstance(obj, Client):
        return obj
    client = getattr(obj, "client", None)
    if client is None:
        raise ValueError(f"{type(obj).__name__} {obj.pk} has no client to transfer for.")
    return client


def _connections_for(client, connection: Connection | None, kind: str) -> list[Connection]:
    """The connections that get a transfer of `kind`: the enabled ones whose connector handles
    it and, for a finalized document, the disabled ones too (the transfer waits for them)."""
    if connection is not None:
        candidates = [connection]
    else:
        candidates = Connection.objects.filter(client=client).order_by("pk")
    result = []
    for candidate in candidates:
        connector = connector_or_none(candidate.system)
        wanted = candidate.enabled or kind in DOCUMENT_KINDS
        if wanted and connector is not None and connector.handles(kind):
            result.append(candidate)
    return result


@transaction.atomic
def transfer_enqueue(
    *,
    obj: models.Model,
    kind: str,
    operation: str = Operation.UPSERT,
    connection: Connection | None = None,
    params: dict[str, Any] | None = None,
    priority: int | None = None,
) -> list[Transfer]:
    """Queue `obj` for every enabled connection of its client whose connector handles `kind`;
    a finalized document (DOCUMENT_KINDS) also for a disabled one, where it waits until the
    connection is enabled (`connections.connection_enable`).

    Runs in the caller's transaction. A pending transfer of the same object, kind and connection
    is reused (its params updated) instead of creating a second one. Returns the transfers (an
    empty list when no connection wants this kind). Processing starts after commit.

    `priority` (TransferPriority) defaults to what the kind, operation and params say
    (`fairness.transfer_priority_for`; bulk inside `fairness.bulk_work()`). A waiting transfer
    queued again interactively becomes interactive.
    """
    if priority is None:
        priority = transfer_priority_for(kind=kind, operation=operation, params=params)
    client = _client_of(obj, connection)
    content_type = ContentType.objects.get_for_model(obj)
    transfers, created = [], []
    for conn in _connections_for(client, connection, kind):
        transfer, is_new = _transfer_coalesce_or_create(
            connection=conn,
            client=client,
            content_type=content_type,
            obj=obj,
            kind=kind,
            operation=operation,
            params=params or {},
            priority=priority,
        )
        transfers.append(transfer)
        if is_new and conn.enabled:  # a disabled connection's transfer waits for it
            created.append(transfer.pk)
    for transfer_id in created:
        transaction.on_commit(lambda transfer_id=transfer_id: transfer_schedule(transfer_id))
    return transfers


def _transfer_coalesce_or_create(
    *, connection, client, content_type, obj, kind, operation, params, priority
) -> tuple[Transfer, bool]:
    lookup = dict(
        connection=connection,
        kind=kind,
        content_type=content_type,
        object_id=obj.pk,
        status=TransferStatus.PENDING,
    )
    existing = Transfer.objects.select_for_update().filter(**lookup).first()
    if existing is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent insert must not spoil the caller
                return Transfer.objects.create(
                    client=client,
                    operation=operation,
                    object_repr=str(obj)[:200],
                    object_number=str(getattr(obj, "number", "") or "")[:64],
                    params=params,
                    priority=priority,
                    **lookup,
                ), True
        except IntegrityError:
            existing = Transfer.objects.select_for_update().get(**lookup)
    changed = []
    if params and existing.params != {**existing.params, **params}:
        existing.params = {**existing.params, **params}
        changed.append("params")
    if priority < existing.priority:  # someone waits for it now
        existing.priority = priority
        changed.append("priority")
    if changed:
        existing.save(update_fields=changed)
    return existing, False


def transfer_schedule(transfer_id: int | None) -> None:
    """Hand one transfer (or, with None, the next in fair order) to the task queue. Never
    raises: the sweep is the safety net.

    In a task cluster a task is a wake-up: the worker runs due transfers in fair order
    (`engine.transfers_dispatch`) until none is left, so one process sends at most as many
    wake-ups per second as the cluster has workers; the workers already woken pick up the
    rest. In sync mode (tests) the named transfer runs at once, inline."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    if not Conf.SYNC and not _wakeup_allowed():
        return  # left to the workers already woken (and to the sweep)
    if transfer_id is not None:
        Transfer.objects.filter(pk=transfer_id).update(queued_at=timezone.now())
    try:
        async_task(PROCESS_TASK, transfer_id, group="transfers")
    except Exception:  # noqa: BLE001 - a queue outage must not break the committed request
        logger.exception("Could not queue transfer %s; the sweep will pick it up", transfer_id)


# --- wake-ups (issue 19): no pile of tasks in the queue ---------------------------------------
_wakeups: deque[float] = deque()
_wakeups_lock = threading.Lock()


def _wakeup_allowed() -> bool:
    """At most one wake-up per cluster worker per second from this process."""
    from .fairness import cluster_workers

    now = time.monotonic()
    with _wakeups_lock:
        while _wakeups and _wakeups[0] <= now - 1.0:
            _wakeups.popleft()
        if len(_wakeups) >= cluster_workers():
            return False
        _wakeups.append(now)
        return True


def tasks_waiting() -> int:
    """Tasks waiting in the broker for a worker (0 when the broker cannot tell)."""
    from django_q.brokers import get_broker

    try:
        return int(get_broker().queue_size() or 0)
    except Exception:  # noqa: BLE001 - a broker without the figure: assume none wait
        return 0


def transfers_wake(*, transfer_ids: list[int]) -> int:
    """The sweep's hand-over of due transfers nobody runs, without duplicate tasks: in sync
    mode each one runs inline; in a cluster only the wake-ups missing are queued (one per
    worker, less the tasks already waiting in the broker). Returns the tasks queued."""
    from django_q.conf import Conf

    from .fairness import cluster_workers

    if Conf.SYNC:
        wanted = transfer_ids
    else:
        missing = min(len(transfer_ids), cluster_workers()) - tasks_waiting()
        wanted = transfer_ids[: max(0, missing)]
        _wakeups.clear()  # the sweep's wake-ups are not throttled
    for transfer_id in wanted:
        transfer_schedule(transfer_id)
    return len(wanted)
# --- end of wake-ups --------------------------------------------------------------------------


def connection_for(*, client, system: str) -> Connection | None:
    """The client's connection to `system` (enabled or not), or None."""
    return Connection.objects.filter(client=client, system=system).first()


def transfers_pending(*, obj: models.Model, kind: str) -> list[Transfer]:
    """The object's transfers of `kind` still waiting to run, oldest first."""
    return list(
        Transfer.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            kind=kind,
            status=TransferStatus.PENDING,
        ).order_by("created_at", "pk")
    )


def transfers_run_now(*, transfers: list[Transfer]) -> None:
    """Process the transfers in this process, as the task queue would (management commands):
    the queue's own entry point, named by the same string, so the outbox never imports the
    engine. The engine claims each one first, so a worker that got there before is not doubled."""
    process = import_string(PROCESS_TASK)
    for transfer in transfers:
        process(transfer.pk)


def connector_pos_settings_test(*, system: str, pos_settings) -> ConnectionTestResult:
    """"Test connection" of a client's POS settings by the connector of `system` (its
    `pos_settings_test` hook): the keys, and that every configured product id exists."""
    connector = connector_or_none(system)
    if connector is None:
        raise ConnectionMisconfigured(
            _("No connector is registered for system “%(system)s”.") % {"system": system}
        )
    return connector.pos_settings_test(pos_settings)


def connector_pos_products(*, system: str, pos_settings) -> tuple[list[PosProduct], str]:
    """The products a client's POS settings may name, fetched from `system` through the
    client's connection (its `fetch_pos_products` hook), to pick from: (products, problem),
    where problem says why none could be fetched (no connection, keys refused, unreachable)."""
    connector = connector_or_none(system)
    if connector is None:
        raise ConnectionMisconfigured(
            _("No connector is registered for system “%(system)s”.") % {"system": system}
        )
    try:
        return connector.fetch_pos_products(pos_settings), ""
    except (IntegrationError, ConnectionMisconfigured) as err:
        return [], _("The product list could not be fetched: %(error)s") % {"error": err}


def invoice_transfer_check(*, invoice, lines) -> None:
    """Finalize-time check of the lines against what the accounting systems need (stored
    account-plan comparisons and external VAT codes; no HTTP). Raises InvoiceNotFinalizable."""
    from .reconciliation.account_plan import invoice_lines_account_plan_check

    invoice_lines_account_plan_check(invoice=invoice, lines=lines)
