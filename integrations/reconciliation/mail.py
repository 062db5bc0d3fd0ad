"""One e-mail per reconciliation run that found something a person must fix (or that failed),
to the connection's error recipients, naming each item (up to MAX_LISTED) and linking the page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integrations.notify import admin_url, connection_mail

from .models import NEEDS_A_PERSON, ReconciliationRun

logger = logging.getLogger(__name__)
MAX_LISTED = 200


def reconciliation_notify(*, run: ReconciliationRun) -> bool:
    """Send the run's e-mail once; False when there is nobody to send it to (or it failed)."""
    connection = run.connection
    recipients = connection.error_recipient_list()
    if not recipients or run.notified_at:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        items = run.items.filter(finding__in=NEEDS_A_PERSON).order_by("finding", "number", "pk")
        context = {
            "run": run, "client": run.client, "system": connection.get_system_display(),
            "items": [(item.get_finding_display(), item) for item in items[:MAX_LISTED]],
            "more": max(0, items.count() - MAX_LISTED),
            "url": admin_url("admin:integrations_reconciliationrun_change", run.pk),
        }  # fmt: skip
        subject = _("[Ledgerbridge] %(client)s: reconciliation with %(system)s needs attention") % {
            "client": run.client, "system": context["system"]}
        mail = connection_mail(connection, recipients=recipients, subject=subject,
                               template="integrations/email/reconciliation", context=context)
    try:
        mail.send()
    except Exception:  # noqa: BLE001 - the run and its page stand without the mail
        logger.exception("Reconciliation e-mail for run %s not sent", run.pk)
        return False
    ReconciliationRun.objects.filter(pk=run.pk).update(notified_at=timezone.now())
    return True
