"""Failure e-mails: one mail per failure burst per connection, never one per transfer.

The first failure on a connection is mailed at once. Failures in the next
INTEGRATIONS_FAILURE_MAIL_MINUTES are collected; the sweep mails them together when the interval
has passed. Recipients: the connection's error addresses and its users to notify. Mails name the
client, the object, what failed, what to do, and link to the admin. They never carry secrets.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .http import redact
from .models import UNRESOLVED_FAILURE, Connection, Transfer

logger = logging.getLogger(__name__)

MAX_LISTED = 50
ERROR_EXCERPT = 600


def admin_url(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _unnotified(connection: Connection):
    return Transfer.objects.filter(
        UNRESOLVED_FAILURE, connection=connection, notified_at__isnull=True
    )


def failures_notify(*, connection: Connection) -> bool:
    """Mail the connection's un-mailed failures unless a mail went out within the interval
    (then the sweep sends them later). Returns True when a mail was sent."""
    now = timezone.now()
    if not _unnotified(connection).exists():
        return False
    cutoff = now - timedelta(minutes=settings.INTEGRATIONS_FAILURE_MAIL_MINUTES)
    window = Q(failure_mail_sent_at__isnull=True) | Q(failure_mail_sent_at__lte=cutoff)
    previous = Connection.objects.filter(pk=connection.pk).values_list(
        "failure_mail_sent_at", flat=True
    ).first()
    if not Connection.objects.filter(window, pk=connection.pk).update(failure_mail_sent_at=now):
        return False  # a mail went out recently (or another worker is sending this one)
    ids = list(_unnotified(connection).values_list("pk", flat=True))
    Transfer.objects.filter(pk__in=ids).update(notified_at=now)
    try:
        _send(connection, Transfer.objects.filter(pk__in=ids).order_by("finished_at", "pk"))
    except Exception:  # noqa: BLE001 - a mail outage must not lose the failures: retry later
        logger.exception("Failure e-mail for connection %s could not be sent", connection.pk)
        Transfer.objects.filter(pk__in=ids).update(notified_at=None)
        Connection.objects.filter(pk=connection.pk).update(failure_mail_sent_at=previous)
        return False
    return True


def failures_notify_collected() -> int:
    """Send the collected failures of every connection whose interval has passed."""
    connection_ids = (
        Transfer.objects.filter(UNRESOLVED_FAILURE, notified_at__isnull=True)
        .values_list("connection_id", flat=True)
        .distinct()
    )
    sent = 0
    for connection in Connection.objects.filter(pk__in=list(connection_ids)):
        sent += failures_notify(connection=connection)
    return sent


def connection_broken_notify(*, connection: Connection) -> None:
    """The system rejected the credentials: tell the recipients at once (happens once per break)."""
    try:
        _send(connection, Transfer.objects.none())
    except Exception:  # noqa: BLE001
        logger.exception("Broken-connection mail for connection %s not sent", connection.pk)


def _send(connection: Connection, failures) -> None:
    recipients = connection.error_recipient_list()
    if not recipients:
        logger.warning("Connection %s has no error recipients; mail not sent", connection.pk)
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(connection, list(failures[: MAX_LISTED + 1]), failures.count())
        subject = _subject(connection, context["total"])
        mail = connection_mail(connection, recipients=recipients, subject=subject,
                               template="integrations/email/transfer_failed", context=context)
    mail.send()


def connection_mail(
    connection: Connection, *, recipients: list[str], subject: str, template: str, context: dict
) -> EmailMultiAlternatives:
    """A mail to a connection's recipients: `template`.txt and .html rendered in the active
    language, and the connection's secrets masked wherever they would appear."""
    secrets = connection.secret_values()
    mail = EmailMultiAlternatives(
        subject=redact(subject, secrets),
        body=redact(render_to_string(f"{template}.txt", context), secrets),
        to=recipients,
    )
    mail.attach_alternative(redact(render_to_string(f"{template}.html", context), secrets),
                            "text/html")  # fmt: skip
    return mail


def _subject(connection: Connection, total: int) -> str:
    system = connection.get_system_display()
    if not total:
        return _("[Ledgerbridge] %(client)s: %(system)s rejected the credentials") % {
            "client": connection.client, "system": system
        }
    return ngettext(
        "[Ledgerbridge] %(client)s: %(count)d transfer to %(system)s failed",
        "[Ledgerbridge] %(client)s: %(count)d transfers to %(system)s failed",
        total,
    ) % {"client": connection.client, "count": total, "system": system}


def _context(connection: Connection, failures: list[Transfer], total: int) -> dict:
    rows = [
        {
            "object": transfer.describe_object(),
            "error": transfer.last_error[:ERROR_EXCERPT],
            "attempts": transfer.attempts,
            "url": admin_url("admin:integrations_transfer_change", transfer.pk),
        }
        for transfer in failures[:MAX_LISTED]
    ]
    return {
        "client": connection.client,
        "system": connection.get_system_display(),
        "failures": rows,
        "total": total,
        "more": max(0, total - len(rows)),
        "broken": connection.is_broken,
        "broken_reason": connection.broken_reason[:ERROR_EXCERPT],
        "connection_url": admin_url("admin:integrations_connection_change", connection.pk),
        "log_url": admin_url("admin:integrations_transfer_changelist")
        + f"?connection__id__exact={connection.pk}&status__exact=failed",
    }
