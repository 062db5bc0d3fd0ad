"""Sync log admin: read-only, re-queue/cancel guarded by their own permission, overview."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from integrations.models import TransferStatus
from tests.factories.integrations import TransferAttemptFactory, TransferFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:integrations_transfer_changelist"


def staff(*codenames):
    user = User.objects.create_user(f"u{len(codenames)}", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def failed(connection):
    transfer = TransferFactory(connection=connection, status=TransferStatus.FAILED,
                               external_id="X-991", last_error="HTTP 400")
    TransferAttemptFactory(transfer=transfer, outcome="failed", http_status=400)
    return transfer


def test_accountant_with_retransfer_permission_can_requeue_but_not_edit(client, failed):
    client.force_login(staff("view_transfer", "retransfer_transfer"))

    response = client.post(
        reverse(CHANGELIST), {"action": "requeue_selected", "_selected_action": [failed.pk]}
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (TransferStatus.PENDING, 0)
    page = client.get(reverse("admin:integrations_transfer_change", args=[failed.pk]))
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:integrations_transfer_add")).status_code == 403
    assert client.post(
        reverse("admin:integrations_transfer_delete", args=[failed.pk])
    ).status_code == 403


def test_user_without_retransfer_permission_gets_no_actions(client, failed):
    client.force_login(staff("view_transfer"))

    page = client.get(reverse(CHANGELIST)).content.decode()
    client.post(reverse(CHANGELIST), {"action": "cancel_selected", "_selected_action": [failed.pk]})

    assert "requeue_selected" not in page
    failed.refresh_from_db()
    assert failed.status == TransferStatus.FAILED


def test_cancel_action_cancels_a_failed_transfer(client, failed):
    client.force_login(staff("view_transfer", "retransfer_transfer"))
    client.post(reverse(CHANGELIST), {"action": "cancel_selected", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == TransferStatus.CANCELLED


def test_sync_log_searches_by_external_id_and_shows_attempts(client, failed):
    TransferFactory(connection=failed.connection, status=TransferStatus.SUCCEEDED,
                    external_id="OTHER")
    client.force_login(staff("view_transfer"))

    found = client.get(reverse(CHANGELIST), {"q": "X-991"})
    detail = client.get(reverse("admin:integrations_transfer_change", args=[failed.pk]))

    assert found.context["cl"].result_count == 1
    assert "HTTP 400" in detail.content.decode()
    assert "Transfer attempts" in detail.content.decode()


def test_overview_counts_by_status_per_client(client, failed):
    TransferFactory(connection=failed.connection)
    client.force_login(staff("view_transfer"))

    response = client.get(reverse("admin:integrations_transfer_overview"))

    [row] = response.context["rows"]
    statuses = list(TransferStatus.values)
    assert row["day"][statuses.index("failed")] == 1
    assert row["month"][statuses.index("pending")] == 1
    assert row["oldest_pending"] is not None


def test_overview_needs_view_permission(client, failed):
    client.force_login(staff())
    assert client.get(reverse("admin:integrations_transfer_overview")).status_code == 403
