"""Failure triage: plain words per error class, the same-error grouping, the re-queue buttons."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF, roles_apply
from integrations.models import AttemptOutcome, Transfer, TransferKind, TransferStatus
from integrations.triage import (
    error_signature,
    failure_groups,
    transfer_outcome_save,
    transfer_triage,
    transfers_same_error,
)
from tests.factories import UserFactory
from tests.factories.integrations import (
    ConnectionFactory,
    TransferAttemptFactory,
    TransferFactory,
)

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db
#: What the engine saves when a transfer ends (integrations.engine._FINISH_FIELDS, in part).
OUTCOME = ("status", "external_id", "last_error")
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

    def test_trace_ids_of_the_answer_do_not_split_a_cause(self):
        answer = ('Validation failed (HTTP 400): Lines[0].VatCode: Unknown code. '
                  '{{"traceId":"00-{trace}-{span}-00","requestId":"{guid}"}}')  # fmt: skip
        one = answer.format(trace="4bf92f3577b34da6a3ce929d0e0e4736", span="00f067aa0ba902b7",
                            guid="0f8fad5b-d9cb-469f-a165-70867728950e")  # fmt: skip
        two = answer.format(trace="a3ce929d0e0e47364bf92f3577b34da6", span="a902b700f067aa0b",
                            guid="7c9e6679-7425-40de-944b-e07fc1f90ae7")  # fmt: skip
        assert error_signature(one) == error_signature(two)
        assert error_signature(one) != error_signature(one.replace("VatCode", "Quantity"))

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


class TestStoredGroups:
    """The engine keeps the grouping: a failure stores its cause's key when it is recorded,
    a later success of the same object resolves it, and the sync log only counts keys."""

    @pytest.fixture
    def rejected(self, connection, http, django_capture_on_commit_callbacks):
        from integrations.outbox import transfer_enqueue

        body = {"title": "Validation failed", "errors": {"name": ["too long"]}}
        http.post(f"{BASE_URL}/records", status=400, json=body)

        def send():
            with django_capture_on_commit_callbacks(execute=True):
                [transfer] = transfer_enqueue(obj=connection.client, kind=TransferKind.CUSTOMER)
            transfer.refresh_from_db()
            return transfer

        return send

    def test_a_recorded_failure_is_grouped_under_its_cause(self, rejected):
        transfer = rejected()
        assert transfer.status == TransferStatus.FAILED
        assert transfer.error_group == error_signature(transfer.last_error, transfer.object_number)
        [group] = failure_groups(client_id=transfer.client_id)
        assert (group.key, group.count) == (transfer.error_group, 1)
        assert "Validation failed" in group.summary

    def test_a_later_success_of_the_same_object_resolves_the_failure(self, rejected, http):
        failure = rejected()
        http.replace("POST", f"{BASE_URL}/records", json={"id": 8}, status=201)
        success = rejected()  # the same object again, accepted this time
        failure.refresh_from_db()
        assert success.status == TransferStatus.SUCCEEDED
        assert failure.status == TransferStatus.FAILED and failure.error_group == ""
        assert failure_groups(client_id=failure.client_id) == []
        assert list(transfers_same_error(transfer=failure)) == []

    def test_a_resolved_failure_leaves_the_dashboard_and_the_mail_but_stays_in_history(
        self, rejected, http, client
    ):
        """Issue 18 item 3: once the record is fixed and sent, the old failure is history."""
        from django.contrib.auth import get_user_model
        from django.urls import reverse

        from integrations.notify import failures_notify_collected
        from integrations.selectors import transfers_health

        failure = rejected()
        [row] = transfers_health()
        assert row["day_failed"] == 1
        http.replace("POST", f"{BASE_URL}/records", json={"id": 8}, status=201)
        Transfer.objects.filter(pk=failure.pk).update(notified_at=None)
        rejected()
        failure.refresh_from_db()

        [row] = transfers_health()
        assert (row["day_failed"], row["day_succeeded"]) == (0, 1)
        assert failures_notify_collected() == 0  # nothing still wrong to e-mail
        assert failure.status_text() == "failed, resolved by a later transfer"
        user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
        client.force_login(user)
        page = client.get(reverse("admin:integrations_transfer_change", args=[failure.pk]))
        assert b'data-testid="resolved"' in page.content
        assert "sent it, or found it already there as it is now" in page.content.decode()

    def test_a_skip_finding_the_object_in_step_resolves_the_failure(self, connection):
        """The refused change was undone before it was ever sent: the next transfer finds the
        record unchanged since its last transfer (it carries the external id) and skips."""
        failure = failed(connection, "Customer 10023: number 50001 is outside the series", "10023")
        in_step = TransferFactory(connection=connection, object_id=failure.object_id,
                                  status=TransferStatus.SKIPPED, external_id="4711")  # fmt: skip
        transfer_outcome_save(transfer=in_step, fields=OUTCOME)
        failure.refresh_from_db()
        assert failure.error_group == "" and failure.is_resolved_failure

    def test_the_statement_saving_a_success_resolves_only_the_same_objects_failures(
        self, connection
    ):
        """One UPDATE saves the outcome and resolves: the failure keeps its own status and
        text, a failure of another object or on another connection keeps its group."""
        failure = failed(connection, VAT.format(n=10023, line=1), "10023")
        other_object = failed(connection, VAT.format(n=10024, line=1), "10024")
        elsewhere = failed(ConnectionFactory(), VAT.format(n=10023, line=1), "10023")
        success = TransferFactory(connection=connection, object_id=failure.object_id,
                                  status=TransferStatus.RUNNING)  # fmt: skip
        success.status, success.external_id = TransferStatus.SUCCEEDED, "4711"
        success.last_error = ""

        transfer_outcome_save(transfer=success, fields=OUTCOME)

        for row in (failure, other_object, elsewhere, success):
            row.refresh_from_db()
        assert (success.status, success.external_id) == (TransferStatus.SUCCEEDED, "4711")
        assert failure.is_resolved_failure
        assert (failure.status, failure.external_id) == (TransferStatus.FAILED, "")
        assert failure.last_error == VAT.format(n=10023, line=1)
        assert other_object.error_group and elsewhere.error_group

    def test_a_skip_without_external_id_leaves_the_failure_alone(self, connection):
        """Skipped as not to be sent (e.g. dated before the connection's start): not in step."""
        failure = failed(connection, VAT.format(n=10023, line=1), "10023")
        skipped = TransferFactory(connection=connection, object_id=failure.object_id,
                                  status=TransferStatus.SKIPPED, external_id="")  # fmt: skip
        transfer_outcome_save(transfer=skipped, fields=OUTCOME)
        failure.refresh_from_db()
        assert failure.error_group == error_signature(failure.last_error, "10023")

    def test_a_success_of_another_object_leaves_the_failure_alone(self, connection):
        failure = failed(connection, VAT.format(n=10023, line=1), "10023")
        other = TransferFactory(connection=connection, object_id=failure.object_id + 1,
                                status=TransferStatus.SUCCEEDED)  # fmt: skip
        transfer_outcome_save(transfer=other, fields=OUTCOME)
        failure.refresh_from_db()
        assert failure.error_group == error_signature(failure.last_error, "10023")

    def test_a_requeued_failure_leaves_its_group(self, connection, monkeypatch):
        from integrations import engine, outbox

        monkeypatch.setattr(outbox, "transfer_schedule", lambda transfer_id: None)
        group = [failed(connection, VAT.format(n=n, line=1), str(n)) for n in (10023, 10024)]
        assert [g.count for g in failure_groups()] == [2]
        engine.transfer_requeue(transfer=group[0])
        assert [g.count for g in failure_groups()] == [1]

    def test_a_run_given_up_by_the_reaper_is_grouped(self, connection, settings):
        from datetime import timedelta

        from django.utils import timezone

        from integrations import engine

        settings.INTEGRATIONS_RUNNING_TIMEOUT = 600
        stuck = TransferFactory(connection=connection, status=TransferStatus.RUNNING,
                                attempts=settings.INTEGRATIONS_MAX_ATTEMPTS,
                                started_at=timezone.now() - timedelta(hours=1))  # fmt: skip
        engine.transfers_reap_stale()
        stuck.refresh_from_db()
        assert stuck.status == TransferStatus.FAILED
        assert stuck.error_group == error_signature(stuck.last_error, stuck.object_number)

    def test_groups_are_largest_first_and_per_client_when_asked(self):
        mine, theirs = ConnectionFactory(), ConnectionFactory()
        for n in (10023, 10024, 10025):
            failed(mine, "Validation failed (HTTP 400)", str(n), http_status=400)
        failed(mine, VAT.format(n=10026, line=1), "10026")
        failed(theirs, VAT.format(n=20001, line=1), "20001")
        failed(theirs, VAT.format(n=20002, line=4), "20002")
        assert [g.count for g in failure_groups()] == [3, 3]
        mine_only = failure_groups(client_id=mine.client_id)
        assert [(g.summary, g.count) for g in mine_only] == [
            ("Validation failed (HTTP 400)", 3),
            ("Invoice … line …: account 3000 has no external VAT code. Set it on the account.", 1),
        ]

    def test_filter_choices_show_the_group_and_its_size(self, client):
        connection = ConnectionFactory()
        for n in (10023, 10024):
            failed(connection, VAT.format(n=n, line=2), str(n))
        client.force_login(user_in(ACCOUNTANTS))
        response = client.get(reverse("admin:integrations_transfer_changelist"))
        assert b"account 3000 has no external VAT code. Set it on the account. (2)" in (
            response.content)

    def test_the_migration_fills_unresolved_failures_and_leaves_superseded_ones(self):
        import importlib

        from django.apps import apps
        from django.utils import timezone

        migration = importlib.import_module("integrations.migrations.0006_transfer_error_group")
        connection = ConnectionFactory()
        open_ = failed(connection, VAT.format(n=10023, line=1), "10023")
        superseded = failed(connection, VAT.format(n=10024, line=1), "10024")
        TransferFactory(connection=connection, object_id=superseded.object_id,
                        status=TransferStatus.SUCCEEDED, finished_at=timezone.now())  # fmt: skip
        Transfer.objects.filter(pk__in=[open_.pk, superseded.pk]).update(
            error_group="", finished_at=timezone.now() - timedelta(hours=1)
        )
        migration.error_groups_fill(apps, None)
        open_.refresh_from_db()
        superseded.refresh_from_db()
        assert open_.error_group == error_signature(open_.last_error, "10023")
        assert superseded.error_group == ""
