"""The engine: every connector outcome lands in the right status, with attempt rows."""

from datetime import timedelta

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone

from integrations import engine
from integrations.connections import connection_secrets_update, connection_test
from integrations.models import AttemptOutcome, ExternalLink, Transfer, TransferKind
from integrations.outbox import transfer_enqueue
from tests.factories.integrations import TEST_CLIENT_KEY

from .testconnector import BASE_URL

pytestmark = pytest.mark.django_db


def enqueue(connection, capture, **kwargs):
    with capture(execute=True):
        [transfer] = transfer_enqueue(
            obj=connection.client, kind=kwargs.pop("kind", TransferKind.CUSTOMER), **kwargs
        )
    transfer.refresh_from_db()
    return transfer


def process_again(transfer):
    Transfer.objects.filter(pk=transfer.pk).update(next_attempt_at=timezone.now())
    engine.transfer_process(transfer.pk)
    transfer.refresh_from_db()
    return transfer


class TestSuccess:
    def test_created_record_is_bound_and_logged(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"id": 77}, status=201)

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.SUCCEEDED
        assert transfer.external_id == "77"
        assert transfer.finished_at is not None
        link = ExternalLink.objects.get(connection=connection)
        assert (link.external_id, link.object_id) == ("77", connection.client.pk)
        assert link.content_hash
        [attempt] = transfer.attempt_set.all()
        assert attempt.outcome == AttemptOutcome.SUCCEEDED
        assert attempt.http_status == 201
        assert attempt.steps == [
            {"step": "customer", "action": "created", "object": str(connection.client),
             "external_id": "77"}
        ]
        assert TEST_CLIENT_KEY not in attempt.request_summary

    def test_unchanged_record_is_skipped_the_second_time(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"id": 77}, status=201)
        enqueue(connection, django_capture_on_commit_callbacks)

        second = enqueue(connection, django_capture_on_commit_callbacks)

        assert second.status == Transfer.Status.SKIPPED
        assert second.external_id == "77"
        assert len(http.calls) == 2  # the first export's match by reference and its create

    def test_changed_record_is_updated_under_its_external_id(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"id": 77}, status=201)
        patch = http.patch(f"{BASE_URL}/records/77", status=204)
        enqueue(connection, django_capture_on_commit_callbacks)
        connection.client.name = "Renamed AS"
        connection.client.save()

        second = enqueue(connection, django_capture_on_commit_callbacks)

        assert second.status == Transfer.Status.SUCCEEDED
        assert patch.call_count == 1
        assert second.attempt_set.get().steps[0]["action"] == "updated"

    def test_dependencies_go_first_and_are_skipped_when_unchanged(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        user = User.objects.create(username="kari", email="kari@example.com")
        http.post(f"{BASE_URL}/records", json={"id": 5}, status=201)
        params = {"contact_user_ids": [user.pk]}
        first = enqueue(connection, django_capture_on_commit_callbacks, params=params)
        connection.client.name = "Renamed AS"
        connection.client.save()
        http.patch(f"{BASE_URL}/records/5", status=204)

        second = enqueue(connection, django_capture_on_commit_callbacks, params=params)

        assert [s["step"] for s in first.attempt_set.get().steps] == ["contact_person", "customer"]
        assert [s["action"] for s in second.attempt_set.get().steps] == ["skipped", "updated"]

    def test_a_record_already_there_with_our_reference_is_matched_not_created(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.replace("GET", f"{BASE_URL}/records", json=[{"id": 91}])
        http.patch(f"{BASE_URL}/records/91", json={"id": 91})

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.SUCCEEDED
        assert transfer.external_id == "91"
        assert transfer.attempt_set.get().steps[0]["action"] == "matched"
        assert not [c for c in http.calls if c.request.method == "POST"]


class TestFailures:
    def test_rejected_data_fails_at_once_and_is_mailed(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(
            f"{BASE_URL}/records",
            json={"title": "Validation failed", "errors": {"name": ["too long"]}},
            status=400,
        )

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.FAILED
        assert "Validation failed" in transfer.last_error
        assert "name: too long" in transfer.last_error
        attempt = transfer.attempt_set.get()
        assert (attempt.outcome, attempt.http_status) == (AttemptOutcome.FAILED, 400)
        assert len(mail.outbox) == 1

    def test_local_data_error_fails_naming_the_record(
        self, connection, django_capture_on_commit_callbacks
    ):
        connection.client.organization_number = ""
        connection.client.save()

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.FAILED
        assert transfer.last_error == f"Client {connection.client}: organization number is missing"

    def test_server_error_is_retried_later_with_backoff(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", status=503)
        before = timezone.now()

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.PENDING
        assert transfer.attempts == 1
        assert before + timedelta(seconds=15) <= transfer.next_attempt_at
        assert transfer.next_attempt_at <= timezone.now() + timedelta(seconds=30)
        assert transfer.attempt_set.get().outcome == AttemptOutcome.RETRY
        assert mail.outbox == []

    def test_timeout_is_retried(self, connection, http, django_capture_on_commit_callbacks):
        http.post(f"{BASE_URL}/records", body=requests.ReadTimeout("slow"))

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.PENDING
        assert "no answer within" in transfer.last_error

    def test_retries_stop_after_max_attempts_and_mail(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", status=502)
        transfer = enqueue(connection, django_capture_on_commit_callbacks)
        process_again(transfer)

        transfer = process_again(transfer)

        assert transfer.status == Transfer.Status.FAILED
        assert transfer.last_error.startswith("Gave up after 3 attempts")
        assert [a.outcome for a in transfer.attempt_set.all()] == ["retry", "retry", "failed"]
        assert len(mail.outbox) == 1

    def test_rate_limit_waits_at_least_retry_after(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", status=429, headers={"Retry-After": "7200"})

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.PENDING
        assert transfer.next_attempt_at >= timezone.now() + timedelta(seconds=7100)

    def test_unexpected_exception_fails_without_leaking_the_secret(
        self, connector, connection, django_capture_on_commit_callbacks, caplog
    ):
        connector.explode = True

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.FAILED
        assert transfer.last_error.startswith("Unexpected error RuntimeError: exploded")
        assert TEST_CLIENT_KEY not in transfer.last_error
        assert transfer.attempt_set.get().outcome == AttemptOutcome.ERROR
        assert "Traceback" in caplog.text
        assert TEST_CLIENT_KEY not in caplog.text
        assert TEST_CLIENT_KEY not in mail.outbox[0].body

    def test_missing_secret_waits_for_the_key_and_goes_when_it_is_saved(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        connection.secrets = {}
        connection.save()

        transfer = enqueue(connection, django_capture_on_commit_callbacks)

        assert transfer.status == Transfer.Status.PENDING  # nothing is wrong with the record
        assert transfer.attempts == 0
        assert "cannot be used as configured" in transfer.last_error
        assert "missing Client key" in transfer.last_error
        assert transfer.next_attempt_at > timezone.now()
        assert transfer.attempt_set.get().outcome == AttemptOutcome.WAITING

        http.post(f"{BASE_URL}/records", json={"id": 12}, status=201)
        with django_capture_on_commit_callbacks(execute=True):
            connection_secrets_update(connection=connection, values={"client_key": "k-123456"})
        transfer.refresh_from_db()
        assert transfer.status == Transfer.Status.SUCCEEDED


class TestBrokenConnection:
    def test_rejected_credentials_break_the_connection_and_the_transfer_waits(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", json={"message": "invalid client key"}, status=401)

        transfer = enqueue(connection, django_capture_on_commit_callbacks)
        connection.refresh_from_db()

        assert connection.is_broken
        assert "invalid client key" in connection.broken_reason
        assert (transfer.status, transfer.attempts) == (Transfer.Status.PENDING, 0)
        assert transfer.attempt_set.get().outcome == AttemptOutcome.AUTH_FAILED
        assert engine.transfers_sweep()["queued"] == 0
        assert engine.transfer_process(transfer.pk) is None

    def test_passing_connection_test_releases_waiting_transfers(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        http.post(f"{BASE_URL}/records", status=401)
        transfer = enqueue(connection, django_capture_on_commit_callbacks)
        connection.refresh_from_db()
        http.replace("POST", f"{BASE_URL}/records", json={"id": 8}, status=201)
        http.get(f"{BASE_URL}/ping", json={"ok": True})

        with django_capture_on_commit_callbacks(execute=True):
            result = connection_test(connection=connection)
        transfer.refresh_from_db()
        connection.refresh_from_db()

        assert result.ok
        assert not connection.is_broken
        assert transfer.status == Transfer.Status.SUCCEEDED


class TestImport:
    def test_import_counts_created_updated_skipped_and_failed(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        Group.objects.create(name="Travel")
        groups_before = Group.objects.count()  # the staff roles are groups too
        http.get(f"{BASE_URL}/groups?page=1", json=[{"id": "g1", "name": "Travel"},
                                                    {"id": "g2", "name": "Meals"}])
        http.get(f"{BASE_URL}/groups?page=2", json=[{"id": "g3", "name": ""}])
        http.get(f"{BASE_URL}/groups?page=3", json=[])

        transfer = enqueue(connection, django_capture_on_commit_callbacks,
                           kind=TransferKind.EXPENSE_IMPORT)

        assert transfer.status == Transfer.Status.FAILED
        assert transfer.result["fetched"] == 3
        assert (transfer.result["created"], transfer.result["updated"]) == (1, 1)
        assert transfer.result["failed"] == 1
        assert "Group g3: name is missing" in transfer.last_error
        assert Group.objects.count() == groups_before + 1

    def test_reimport_skips_unchanged_records(
        self, connection, http, django_capture_on_commit_callbacks
    ):
        groups_before = Group.objects.count()
        http.get(f"{BASE_URL}/groups?page=1", json=[{"id": "g1", "name": "Travel"}])
        http.get(f"{BASE_URL}/groups?page=2", json=[])
        enqueue(connection, django_capture_on_commit_callbacks, kind=TransferKind.EXPENSE_IMPORT)

        second = enqueue(connection, django_capture_on_commit_callbacks,
                         kind=TransferKind.EXPENSE_IMPORT)

        assert second.status == Transfer.Status.SUCCEEDED
        assert (second.result["skipped"], second.result["created"]) == (1, 0)
        assert Group.objects.count() == groups_before + 1


class TestBackoff:
    def test_delay_doubles_within_jitter_and_is_capped(self, settings):
        settings.INTEGRATIONS_BACKOFF_BASE = 10
        settings.INTEGRATIONS_BACKOFF_CAP = 60
        assert 5 <= engine.backoff_delay(1) <= 10
        assert 20 <= engine.backoff_delay(3) <= 40
        assert 30 <= engine.backoff_delay(10) <= 60

    def test_retry_after_wins_over_a_shorter_backoff(self, settings):
        settings.INTEGRATIONS_BACKOFF_BASE = 10
        assert engine.backoff_delay(1, retry_after=120) == 120


def test_a_claimed_transfer_cannot_be_claimed_again(connection):
    from tests.factories.integrations import TransferFactory

    transfer = TransferFactory(connection=connection)

    assert engine.transfer_claim(transfer.pk) is not None
    assert engine.transfer_claim(transfer.pk) is None


class TestQueuedAgainWhileRunning:
    """The object was queued again while its transfer ran (a user saved it meanwhile): only one
    transfer of an object may wait, so the running one, instead of going back to pending, hands
    over to the waiting one, which sends the object's current state."""

    @pytest.fixture
    def queued_meanwhile(self, connection, http):
        """GET /groups answers `status` after the import was queued again mid-run."""

        def answer(status, headers=None):
            def callback(request):
                transfer_enqueue(
                    obj=connection.client, kind=TransferKind.EXPENSE_IMPORT, params={"days": 3}
                )
                return status, headers or {}, "{}"

            http.add_callback("GET", f"{BASE_URL}/groups", callback=callback)

        return answer

    def start_import(self, connection):
        [transfer] = transfer_enqueue(  # on_commit never fires inside the test's transaction
            obj=connection.client, kind=TransferKind.EXPENSE_IMPORT, params={"full": True}
        )
        return transfer

    def test_a_retry_hands_over_to_the_waiting_transfer(self, connection, queued_meanwhile):
        queued_meanwhile(429, {"Retry-After": "600"})
        first = self.start_import(connection)

        assert engine.transfer_process(first.pk) == Transfer.Status.CANCELLED

        first.refresh_from_db()
        waiting = Transfer.objects.get(status=Transfer.Status.PENDING)
        assert "continues as transfer" in first.last_error
        assert first.attempt_set.get().outcome == AttemptOutcome.RETRY
        assert waiting.params == {"full": True, "days": 3}
        assert waiting.next_attempt_at >= timezone.now() + timedelta(seconds=590)

    def test_rejected_credentials_hand_over_to_the_waiting_transfer(
        self, connection, queued_meanwhile
    ):
        queued_meanwhile(401)
        first = self.start_import(connection)

        assert engine.transfer_process(first.pk) == Transfer.Status.CANCELLED

        connection.refresh_from_db()
        assert connection.is_broken
        assert Transfer.objects.filter(status=Transfer.Status.PENDING).count() == 1

    def test_the_reaper_hands_a_dead_run_over_to_the_waiting_transfer(self, connection, settings):
        first = self.start_import(connection)
        engine.transfer_claim(first.pk)
        self.start_import(connection)  # queued again while the worker is gone

        later = timezone.now() + timedelta(seconds=settings.INTEGRATIONS_RUNNING_TIMEOUT + 1)
        assert engine.transfers_reap_stale(now=later) == 1

        first.refresh_from_db()
        assert first.status == Transfer.Status.CANCELLED
        assert "worker stopped" in first.last_error
        assert Transfer.objects.filter(status=Transfer.Status.PENDING).count() == 1
