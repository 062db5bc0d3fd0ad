"""Security review: known secrets (a client key, an application password echoed back by the
server, an API token) never appear in logs, e-mails, admin pages, exports or error records,
whatever the main flows do with them."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse

from accounting.resources import AccountResource, CustomerResource
from integrations import engine, notify
from integrations.connections import connection_test
from integrations.models import Transfer, TransferAttempt
from integrations.outbox import TransferKind, transfer_enqueue
from tests.factories import AccountFactory, CustomerFactory
from tests.factories.api import ApiTokenFactory

from .conftest import API, TOKEN_URL
from .export_helpers import make_connection, mock_reference_data

SECRET_CLIENT_KEY = "7a3c9e51-2b8d-4f60-9c1e-5d4b3a291f08"

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    connection = make_connection(settings)
    connection.secrets = {"client_key": SECRET_CLIENT_KEY}
    connection.error_recipients = "ops@example.com"
    connection.save()
    return connection


def echoing_refusal(http, url, method="POST", status=400):
    """The server repeats the key back in its error, as a careless gateway might."""
    body = {"error": "invalid_client",
            "error_description": f"client key {SECRET_CLIENT_KEY} is not valid",
            "client_key": SECRET_CLIENT_KEY}  # fmt: skip
    http.add(method, url, json=body, status=status)


def everything_seen(caplog, extra=()) -> str:
    texts = [caplog.text, *(r.getMessage() for r in caplog.records)]
    for message in mail.outbox:
        texts += [message.subject, message.body, *(a[0] for a in message.alternatives)]
    for attempt in TransferAttempt.objects.all():
        texts += [attempt.error, attempt.request_summary, attempt.response_summary,
                  str(attempt.steps)]  # fmt: skip
    for transfer in Transfer.objects.all():
        texts += [transfer.last_error, str(transfer.result)]
    return "\n".join([*texts, *extra])


def admin_pages(connection) -> list[str]:
    admin = User.objects.create_superuser("admin", "admin@example.com", "x")
    browser = Browser()
    browser.force_login(admin)
    transfer = Transfer.objects.first()
    urls = [
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_transfer_changelist"),
        reverse("admin:integrations_transfer_change", args=[transfer.pk]),
        reverse("admin:integrations_externallink_changelist"),
    ]
    pages = []
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return pages


def test_connection_test_failed_transfer_mail_admin_exports_and_logs_never_show_the_key(
    world, http, caplog
):
    # 1. A connection test refused with the key echoed back.
    echoing_refusal(http, TOKEN_URL)
    result = connection_test(connection=world)
    assert not result.ok
    # 2. A customer export refused (400) with the key in the body: failed transfer + e-mail.
    http.replace("POST", TOKEN_URL, json={"access_token": "tok-abcdef123456", "expires_in": 600})
    mock_reference_data(http)
    http.add("GET", f"{API}/Customers", status=204)
    echoing_refusal(http, f"{API}/Customers")
    customer = CustomerFactory(client=world.client, number=10001)
    [transfer] = transfer_enqueue(obj=customer, kind=TransferKind.CUSTOMER, connection=world)
    engine.transfer_process(transfer.pk)
    notify.failures_notify_collected()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.FAILED
    assert mail.outbox, "the failure e-mail was sent"
    # 3. Registers exported through django-import-export.
    AccountFactory(client=world.client)
    exports = [AccountResource().export().csv, CustomerResource().export().csv]

    seen = everything_seen(caplog, [result.message, *admin_pages(world), *exports])

    assert SECRET_CLIENT_KEY not in seen
    assert "tok-abcdef123456" not in seen
    assert "client key" in seen  # the refusal itself is reported, only the key is masked
    assert "***" in seen


def test_api_token_is_never_logged_or_shown_in_the_admin(db, caplog, http):
    caplog.set_level(logging.DEBUG)
    token = ApiTokenFactory()
    browser = Browser()
    for header in (f"Bearer {token.plaintext}", f"Token {token.plaintext}",
                   f"Bearer {token.plaintext}x"):  # fmt: skip
        browser.get("/api/v1/customers", HTTP_AUTHORIZATION=header)
    admin = User.objects.create_superuser("admin", "admin@example.com", "x")
    browser.force_login(admin)
    page = browser.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()

    assert token.plaintext not in caplog.text + page
