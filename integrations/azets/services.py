"""Azets write paths: queue expense imports; make sure a project's expense activity exists."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounting.models import Client, Project, ProjectActivity
from accounting.services import record_save
from integrations.models import Connection, Operation, System, Transfer, TransferKind
from integrations.outbox import transfer_enqueue


def connections_importing_expenses(*, client: Client | None = None):
    """Enabled Azets connections whose settings switch expense import on."""
    connections = Connection.objects.filter(
        system=System.AZETS, enabled=True, azets_settings__import_expenses=True
    ).select_related("client", "azets_settings")
    return connections.filter(client=client) if client is not None else connections


@transaction.atomic
def azets_expense_imports_queue(
    *, client: Client | None = None, since: date | None = None
) -> list[Transfer]:
    """Queue one expense import per enabled Azets connection that imports expenses (of one
    client, or all). A pending import of the same connection is reused, not doubled."""
    params = {"since": since.isoformat()} if since else None
    transfers: list[Transfer] = []
    for connection in connections_importing_expenses(client=client):
        transfers += transfer_enqueue(
            obj=connection.client, kind=TransferKind.EXPENSE_IMPORT,
            operation=Operation.IMPORT, connection=connection, params=params,
        )
    return transfers


@transaction.atomic
def project_activity_ensure(*, project: Project, name: str) -> ProjectActivity:
    """The project's activity with this name, created when missing."""
    activity = ProjectActivity.objects.filter(project=project, name=name).first()
    if activity is None:
        activity = record_save(
            record=ProjectActivity(client_id=project.client_id, project=project, name=name)
        )
    return activity
