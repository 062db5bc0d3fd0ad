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
