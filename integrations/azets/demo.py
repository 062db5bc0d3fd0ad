"""Demo: a sandbox-mode Azets connection for the demo client, pointing at the local sandbox that
`make run` starts (its default login and scope). Idempotent."""

from __future__ import annotations

from django.db import transaction

from integrations.models import Connection, Mode, System

from . import sandbox
from .models import AzetsSettings


@transaction.atomic
def demo_load(*, client) -> list[str]:
    connection, created = Connection.objects.get_or_create(
        client=client, system=System.AZETS,
        defaults={"mode": Mode.SANDBOX, "enabled": True,
                  "secrets": {"api_key": sandbox.DEFAULT_API_KEY}},
    )
    AzetsSettings.objects.get_or_create(connection=connection, defaults={
        "source_client_id": sandbox.DEFAULT_SOURCE_CLIENT_ID,
        "parent_client_id": sandbox.DEFAULT_PARENT_CLIENT_ID,
        "project_dimension": 8, "department_dimension": 1,  # demo projects are P-…
        "import_expenses": True, "expense_activity_name": "Utlegg",
        "billability_dimension": 2,
    })
    if not created:
        return []
    return [f"Azets connection (sandbox) for {client}: parent "
            f"{sandbox.DEFAULT_PARENT_CLIENT_ID}, client {sandbox.DEFAULT_SOURCE_CLIENT_ID}."]
