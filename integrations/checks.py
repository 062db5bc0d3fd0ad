"""System checks: fail loudly when integrations are switched on but incomplete."""

from __future__ import annotations

from django.core import checks


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from .fields import encryption_keys, fernet

    if not encryption_keys():
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is empty: connection secrets cannot be stored or read.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (newest first).",
                id="integrations.E001",
            )
        ]
    try:
        fernet()
    except ImproperlyConfigured as err:
        return [checks.Error(str(err), id="integrations.E002")]
    return []


@checks.register()
def check_croniter(app_configs=None, **kwargs):
    try:
        import croniter  # noqa: F401
    except ImportError:
        return [
            checks.Error(
                "croniter is not installed: the CRON schedules in integrations.schedules "
                "cannot run.",
                hint="pip install croniter (it is a dependency in pyproject.toml).",
                id="integrations.E003",
            )
        ]
    return []


@checks.register(checks.Tags.database)
def check_enabled_connections(app_configs=None, databases=None, **kwargs):
    """Every enabled connection has a registered connector and a base URL for its mode.
    (Database checks run with `manage.py check --database default` and before deploys.)"""
    from django.db import DatabaseError

    from .errors import ConnectionMisconfigured
    from .models import Connection
    from .registry import connector_or_none

    if not databases:
        return []
    problems = []
    try:
        connections = list(Connection.objects.filter(enabled=True).select_related("client"))
    except DatabaseError:  # tables not migrated yet
        return []
    for connection in connections:
        connector = connector_or_none(connection.system)
        if connector is None:
            problems.append(checks.Error(
                f"{connection}: no connector is registered for {connection.system!r}.",
                id="integrations.E004",
            ))
            continue
        try:
            connector.base_url(connection)
        except ConnectionMisconfigured as err:
            problems.append(checks.Error(str(err), id="integrations.E005"))
    return problems


@checks.register()
def check_task_timeouts(app_configs=None, **kwargs):
    """Q_CLUSTER retry > timeout (else the broker hands a running task to a second worker) and
    INTEGRATIONS_RUNNING_TIMEOUT > timeout (else the reaper requeues a transfer still running)."""
    from django.conf import settings

    q_cluster = getattr(settings, "Q_CLUSTER", {})
    timeout, retry = q_cluster.get("timeout"), q_cluster.get("retry")
    running = settings.INTEGRATIONS_RUNNING_TIMEOUT
    problems = []
    if timeout and retry and retry <= timeout:
        problems.append(checks.Error(
            f"Q_CLUSTER retry ({retry} s) must exceed its timeout ({timeout} s): otherwise a "
            "task that is still running is handed to a second worker.",
            hint="Set Q_RETRY higher than Q_TIMEOUT.",
            id="integrations.E006",
        ))
    if timeout and running <= timeout:
        problems.append(checks.Error(
            f"INTEGRATIONS_RUNNING_TIMEOUT ({running} s) must exceed the Q_CLUSTER timeout "
            f"({timeout} s): otherwise the reaper requeues transfers that are still running.",
            hint="Set INTEGRATIONS_RUNNING_TIMEOUT higher than Q_TIMEOUT.",
            id="integrations.E007",
        ))
    return problems


@checks.register()
def check_shared_state(app_configs=None, **kwargs):
    """Rate-limit budgets and the cache must be shared by every process in production."""
    from django.conf import settings

    from .ratelimit import BACKENDS, default_cache_is_database

    problems = []
    backend = settings.INTEGRATIONS_RATE_LIMIT_BACKEND
    if backend not in BACKENDS:
        problems.append(checks.Error(
            f"INTEGRATIONS_RATE_LIMIT_BACKEND {backend!r} is unknown.",
            hint="Use 'auto', 'cache' or 'database' (shared by every process) or 'local' "
                 "(one process).",
            id="integrations.E008",
        ))  # fmt: skip
    elif backend == "cache" and default_cache_is_database():
        problems.append(checks.Warning(
            "INTEGRATIONS_RATE_LIMIT_BACKEND is 'cache' and the default cache is the database "
            "cache: each request costs several statements, and culling a full cache table may "
            "delete send times still to come, letting two requests share one.",
            hint="Use 'auto' or 'database' (one statement per request), or a Redis cache.",
            id="integrations.W002",
        ))
    cache_backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not settings.DEBUG and cache_backend.endswith(("LocMemCache", "DummyCache")):
        problems.append(checks.Warning(
            "The default cache is per process: the inbound API's per-token rate limit does not "
            "hold across web processes.",
            hint="Set CACHE_URL to dbcache://ledgerbridge_cache or a Redis URL.",
            id="integrations.W001",
        ))
    return problems
