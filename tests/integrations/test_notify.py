"""Failure e-mails: batched per connection burst, informative, free of secrets."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from integrations import notify
from integrations.connections import connection_mark_broken
from integrations.models import Connection, TransferStatus
from tests.factories.integrations import TEST_CLIENT_KEY, ConnectionFactory, TransferFactory

pytestmark = pytest.mark.django_db


def fail(connection, number, error="HTTP 400: customer number already used"):
    return TransferFactory(
        connection=connection, status=TransferStatus.FAILED, kind="invoice",
        object_number=number, last_error=error, attempts=1, finished_at=timezone.now(),
    )


def test_first_failure_is_mailed_with_client_object_error_advice_and_link(connection):
    transfer = fail(connection, "10023")

    assert notify.failures_notify(connection=connection)

    [message] = mail.outbox
    assert message.to == ["errors@example.com"]
    assert str(connection.client) in message.subject
    assert "invoice 10023" in message.body
    assert "customer number already used" in message.body
    assert "Re-queue selected transfers" in message.body
    assert f"https://backoffice.example.com/admin/integrations/transfer/{transfer.pk}/change/" in (
        message.body
    )
    assert "invoice 10023" in message.alternatives[0][0]


def test_failures_within_the_interval_are_collected_into_one_later_mail(connection, settings):
    settings.INTEGRATIONS_FAILURE_MAIL_MINUTES = 30
    fail(connection, "10023")
    notify.failures_notify(connection=connection)
    fail(connection, "10024")
    fail(connection, "10025")

    assert not notify.failures_notify(connection=connection)
    assert notify.failures_notify_collected() == 0
    assert len(mail.outbox) == 1

    Connection.objects.filter(pk=connection.pk).update(
        failure_mail_sent_at=timezone.now() - timedelta(minutes=31)
    )
    assert notify.failures_notify_collected() == 1

    assert len(mail.outbox) == 2
    assert "2 transfers" in mail.outbox[1].subject
    assert "invoice 10024" in mail.outbox[1].body and "invoice 10025" in mail.outbox[1].body
    assert "invoice 10023" not in mail.outbox[1].body


def test_connections_are_mailed_separately(connector, db):
    first, second = ConnectionFactory(), ConnectionFactory(error_recipients="b@example.com")
    fail(first, "1")
    fail(second, "2")

    assert notify.failures_notify_collected() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.com", "errors@example.com"]


def test_notified_users_get_the_mail_too(connection):
    user = User.objects.create(username="acc", email="accountant@example.com")
    connection.notify_users.add(user)
    fail(connection, "7")

    notify.failures_notify(connection=connection)

    assert mail.outbox[0].to == ["errors@example.com", "accountant@example.com"]


def test_mail_never_contains_a_secret(connection):
    fail(connection, "10023", error=f"server echoed {TEST_CLIENT_KEY}")

    notify.failures_notify(connection=connection)

    message = mail.outbox[0]
    assert TEST_CLIENT_KEY not in message.body
    assert TEST_CLIENT_KEY not in message.alternatives[0][0]


def test_broken_connection_is_mailed_once_with_what_to_do(
    connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connection_mark_broken(connection=connection, reason="401 invalid client key")
    with django_capture_on_commit_callbacks(execute=True):
        connection_mark_broken(connection=connection, reason="401 invalid client key")

    [message] = mail.outbox
    assert "rejected the credentials" in message.subject
    assert "Test connection" in message.body
