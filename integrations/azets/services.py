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


def visma_file_for(*, settings, date_from: date, date_to: date) -> tuple[str, str]:
    """(file name, text) of the Visma Business batch file with the client's finalized invoices
    and credit notes dated in the range, and their customers. DataError if one cannot be sent."""
    from accounting.selectors import invoices_finalized

    from . import mapping
    from .visma_file import ActorRow, visma_batch_file

    client = settings.connection.client
    invoices = invoices_finalized(client=client).filter(
        invoice_date__range=(date_from, date_to)
    ).select_related("project__department").prefetch_related("lines__account")
    vouchers = [mapping.voucher_payload(invoice, settings) for invoice in invoices]
    customers = {invoice.customer.number: invoice.customer for invoice in invoices}
    actors = [
        ActorRow(str(c.number), c.name, c.address_line1, c.address_line2, c.postcode, c.city,
                 c.country_code, c.organization_number, c.email)
        for _, c in sorted(customers.items())
    ]
    text = visma_batch_file(
        firm_no=settings.source_client_id, actors=actors, vouchers=vouchers,
        description=f"Ledgerbridge {date_from.isoformat()} - {date_to.isoformat()}",
        value_date=date_to.isoformat(),
    )
    name = f"visma-{settings.source_client_id}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.txt"
    return name, text
