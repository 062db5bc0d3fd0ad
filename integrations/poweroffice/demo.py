"""Demo hook (called by `manage.py demo_setup` after the accounting demo): an enabled PowerOffice
Go connection in sandbox mode for the demo client, and its finalized invoices queued, so
`make run` shows customers, projects, vouchers and PDFs arriving in the local sandbox.

Idempotent: the connection is looked up by client and system; invoices already posted are
skipped by the exporter, and pending transfers coalesce.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.connections import connection_secrets_update
from integrations.models import Connection, Mode, System
from integrations.retransfer import invoices_enqueue_pending

from . import sandbox


@transaction.atomic
def demo_load(*, client) -> list[str]:
    connection, created = Connection.objects.get_or_create(
        client=client,
        system=System.POWEROFFICE,
        defaults={"mode": Mode.SANDBOX, "enabled": True, "error_recipients": "demo@example.com"},
    )
    if connection.mode != Mode.SANDBOX:
        return [
            _("PowerOffice Go: the demo client's connection is not in sandbox mode; left alone.")
        ]
    if not (connection.secrets or {}).get("client_key"):
        connection_secrets_update(
            connection=connection, values={"client_key": sandbox.DEFAULT_CLIENT_KEY}
        )
    queued = invoices_enqueue_pending(client=client) if connection.enabled else 0
    state = _("created") if created else _("already there")
    return [
        _("PowerOffice Go sandbox connection %(state)s; %(count)d invoices queued for transfer.")
        % {"state": state, "count": queued}
    ]
