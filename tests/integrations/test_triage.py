"""Failure triage: plain words per error class, the same-error grouping, the re-queue buttons."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF, roles_apply
from integrations.models import AttemptOutcome, TransferStatus
from integrations.triage import error_signature, transfer_triage, transfers_same_error
from tests.factories import UserFactory
from tests.factories.integrations import (
    ConnectionFactory,
    TransferAttemptFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db
VAT = "Invoice {n} line {line}: account 3000 has no external VAT code. Set it on the account."


def failed(connection=None, text="", number="10023", **attempt):
    transfer = TransferFactory(
        connection=connection or ConnectionFactory(), status=TransferStatus.FAILED,
        last_error=text, object_number=number, object_id=int(number),
    )  # fmt: skip
    TransferAttemptFactory(transfer=transfer, outcome=attempt.pop("outcome", "failed"), **attempt)
    return transfer


def user_in(group_name):
    roles_apply(group_model=Group, permission_model=Permission)
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def reader():
    """A staff user who may read the sync log and nothing else."""
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_transfer"))
    return user


class TestPlainWords:
    def test_missing_vat_code_links_to_the_account(self):
        transfer = failed(text=VAT.format(n=10023, line=2))
        triage = transfer_triage(transfer=transfer)
        assert triage.category == "vat_code"
        assert "external VAT code" in triage.what_to_fix
        assert "q=3000" in triage.fix_url and triage.fix_label == "Open account 3000"

    def test_auth_error_says_re_enter_the_key_and_test(self):
        transfer = failed(text="Unauthorized (HTTP 401)", http_status=401,
                          outcome=AttemptOutcome.AUTH_FAILED)  # fmt: skip
        transfer.status = TransferStatus.PENDING  # waits for the connection
        triage = transfer_triage(transfer=transfer)
        assert triage.category == "auth" and "Test connection" in triage.what_to_fix
        assert triage.fix_url.endswith(f"/connection/{transfer.connection_id}/change/")

    def test_validation_rejected_lists_the_field_errors(self):
        body = json.dumps({"title": "Validation failed",
                           "errors": {"Lines[0].Quantity": ["Must be positive"]}})  # fmt: skip
        transfer = failed(text="Validation failed (HTTP 400)", http_status=400,
                          response_summary=body)  # fmt: skip
        triage = transfer_triage(transfer=transfer)
        assert triage.category == "validation"
        assert triage.field_errors == [("Lines[0].Quantity", "Must be positive")]

    def test_unavailable_says_it_is_retried(self):
        transfer = failed(text="Gave up after 8 attempts: Service Unavailable", http_status=503)
        triage = transfer_triage(transfer=transfer)
        assert triage.category == "unavailable" and triage.retried_automatically

    def test_succeeded_transfer_has_no_triage(self):
        transfer = TransferFactory(status=TransferStatus.SUCCEEDED)
        assert transfer_triage(transfer=transfer) is None


class TestSameError:
    def test_same_cause_on_different_invoices_and_lines_shares_a_signature(self):
        one = error_signature(VAT.format(n=10023, line=2), "10023")
        two = error_signature(VAT.format(n=10024, line=5), "10024")
        other = error_signature(VAT.format(n=10024, line=5).replace("3000", "3100"), "10024")
        assert one == two and one != other

    def test_same_error_group_holds_only_matching_failures(self):
        connection = ConnectionFactory()
        first = failed(connection, VAT.format(n=10023, line=1), "10023")
        second = failed(connection, VAT.format(n=10024, line=3), "10024")
        failed(connection, "Validation failed (HTTP 400)", "10025", http_status=400)
        assert set(transfers_same_error(transfer=first)) == {first, second}

    def test_same_error_group_stays_within_the_client(self):
        first = failed(ConnectionFactory(), VAT.format(n=10023, line=1), "10023")
        failed(ConnectionFactory(), VAT.format(n=10024, line=1), "10024")  # another client
        assert set(transfers_same_error(transfer=first)) == {first}

    def test_filter_in_the_sync_log_shows_the_group(self, client):
        connection = ConnectionFactory()
        first = failed(connection, VAT.format(n=10023, line=1), "10023")
        failed(connection, "Validation failed (HTTP 400)", "10025", http_status=400)
        client.force_login(user_in(ACCOUNTANTS))
        signature = error_signature(first.last_error, "10023")
        response = client.get(reverse("admin:integrations_transfer_changelist"),
                              {"error": signature})  # fmt: skip
        assert list(response.context["cl"].result_list) == [first]


class TestButtons:
    def test_failed_transfer_page_explains_and_offers_requeue(self, client):
        transfer = failed(text=VAT.format(n=10023, line=2))
        client.force_login(user_in(ACCOUNTANTS))
        response = client.get(reverse("admin:integrations_transfer_change", args=[transfer.pk]))
        assert b"Account without external VAT code" in response.content
        assert reverse("admin:integrations_transfer_requeue", args=[transfer.pk]).encode() in (
            response.content)

    def test_requeue_button_needs_post_and_the_permission(self, client):
        transfer = failed(text=VAT.format(n=10023, line=2))
        url = reverse("admin:integrations_transfer_requeue", args=[transfer.pk])
        client.force_login(reader())  # may read the log, not re-queue
        assert client.post(url).status_code == 403
        client.force_login(user_in(ACCOUNTANTS))
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 302
        transfer.refresh_from_db()
        assert transfer.attempts == 0 and transfer.status != TransferStatus.FAILED

    def test_back_office_staff_re_queue_what_the_failure_page_tells_them_to(self, client):
        transfer = failed(text=VAT.format(n=10023, line=2))
        client.force_login(user_in(BACK_OFFICE_STAFF))
        page = client.get(reverse("admin:integrations_transfer_change", args=[transfer.pk]))
        url = reverse("admin:integrations_transfer_requeue", args=[transfer.pk])
        assert url.encode() in page.content
        assert client.post(url).status_code == 302
        transfer.refresh_from_db()
        assert transfer.status != TransferStatus.FAILED
        assert client.get(reverse("admin:integrations_retransfer_tool")).status_code == 200

    def test_requeue_same_error_requeues_the_whole_group(self, client, monkeypatch):
        from integrations import outbox

        monkeypatch.setattr(outbox, "transfer_schedule", lambda transfer_id: None)
        connection = ConnectionFactory()
        group = [failed(connection, VAT.format(n=n, line=1), str(n)) for n in (10023, 10024)]
        other = failed(connection, "Validation failed (HTTP 400)", "10025", http_status=400)
        client.force_login(user_in(ACCOUNTANTS))
        client.post(reverse("admin:integrations_transfer_requeue_same", args=[group[0].pk]))
        statuses = {t.pk: t.status for t in type(other).objects.all()}
        assert statuses[group[0].pk] == statuses[group[1].pk] == TransferStatus.PENDING
        assert statuses[other.pk] == TransferStatus.FAILED
