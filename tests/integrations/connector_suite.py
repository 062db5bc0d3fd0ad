"""The behaviour every connector must show, whatever system it talks to.

Subclass `ConnectorSuite` in `tests/integrations/<system>/test_connector_suite.py` (the class
name must start with `Test`) and fill in the hooks; pytest collects the inherited tests:

    class TestPowerOfficeConnectorSuite(ConnectorSuite):
        connector_class = PowerOfficeConnector
        write_request = ("POST", f"{BASE}/Customers")
        test_request = ("GET", f"{BASE}/ClientIntegrationInformation")

        def make_connection(self): ...
        def make_object(self, connection): ...              # something exportable
        def mock_preconditions(self, http): ...             # e.g. the OAuth token endpoint
        def mock_successful_export(self, http): ...         # returns the expected external id
        def mock_lost_response_then_recovery(self, http): ...  # see the test below

The engine runs each transfer as in production (Django-Q2 in sync mode after commit).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import registry
from integrations.connections import connection_test
from integrations.models import AttemptOutcome, ExternalLink, Transfer, TransferStatus
from integrations.outbox import transfer_enqueue


class ConnectorSuite:
    connector_class: type  # the BaseConnector subclass under test
    kind: str = "customer"  # the transfer kind make_object() returns an object for
    write_request: tuple[str, str] = ("POST", "")  # method, URL of the export's first write
    test_request: tuple[str, str] = ("GET", "")  # method, URL test_connection() calls

    # -- hooks ----------------------------------------------------------------------------------
    def make_connection(self):
        raise NotImplementedError

    def make_object(self, connection):
        raise NotImplementedError

    def mock_preconditions(self, http) -> None:
        """Calls every request needs before the write (tokens). Default: none."""

    def mock_successful_export(self, http) -> str:
        raise NotImplementedError

    def mock_lost_response_then_recovery(self, http) -> str:
        """The first write was stored remotely but its answer was lost (e.g. 503 or a timeout);
        register the retry's responses (conflict on our reference, then the lookup) and return
        the external id the retry must bind."""
        raise NotImplementedError

    # -- plumbing -------------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _suite_setup(self, db, settings, django_capture_on_commit_callbacks):
        settings.INTEGRATIONS_MAX_ATTEMPTS = 3
        settings.INTEGRATIONS_BACKOFF_BASE = 30
        settings.INTEGRATIONS_BACKOFF_CAP = 3600
        self.capture = django_capture_on_commit_callbacks
        self.settings = settings  # pytest-django's fixture: changes are undone after each test
        with registry.override(self.connector_class()):
            yield

    def export(self, connection) -> Transfer:
        with self.capture(execute=True):
            [transfer] = transfer_enqueue(
                obj=self.make_object(connection), kind=self.kind, connection=connection
            )
        transfer.refresh_from_db()
        return transfer

    def retry_now(self, transfer) -> Transfer:
        from integrations.engine import transfer_process

        Transfer.objects.filter(pk=transfer.pk).update(next_attempt_at=timezone.now())
        transfer_process(transfer.pk)
        transfer.refresh_from_db()
        return transfer

    def fail_write(self, http, **kwargs) -> None:
        method, url = self.write_request
        http.add(method, url, **kwargs)

    # -- the behaviour --------------------------------------------------------------------------
    def test_success_binds_the_external_id(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        expected = self.mock_successful_export(http)

        transfer = self.export(connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == expected
        assert ExternalLink.objects.filter(connection=connection, external_id=expected).exists()

    def test_rejected_credentials_break_the_connection_without_using_attempts(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        self.fail_write(http, status=401, json={"message": "invalid client key"})

        transfer = self.export(connection)
        connection.refresh_from_db()

        assert connection.is_broken
        assert (transfer.status, transfer.attempts) == (TransferStatus.PENDING, 0)
        for secret in connection.secret_values():
            assert secret not in connection.broken_reason
            assert secret not in transfer.last_error

    def test_failed_connection_test_is_reported_not_raised(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        method, url = self.test_request
        http.add(method, url, status=401, json={"message": "invalid client key"})

        result = connection_test(connection=connection)

        assert result.ok is False

    def test_rate_limit_waits_at_least_retry_after(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        self.fail_write(http, status=429, headers={"Retry-After": "600"})

        transfer = self.export(connection)

        assert transfer.status == TransferStatus.PENDING
        assert transfer.next_attempt_at >= timezone.now() + timedelta(seconds=590)

    def test_server_error_is_retried_with_backoff(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        self.fail_write(http, status=503)

        transfer = self.export(connection)

        assert transfer.status == TransferStatus.PENDING
        assert transfer.attempt_set.get().outcome == AttemptOutcome.RETRY
        assert transfer.next_attempt_at > timezone.now()

    def test_retry_after_a_lost_response_binds_the_record_once(self, http):
        connection = self.make_connection()
        self.mock_preconditions(http)
        self.fail_write(http, status=503)
        transfer = self.export(connection)
        http.reset()
        self.mock_preconditions(http)
        expected = self.mock_lost_response_then_recovery(http)

        transfer = self.retry_now(transfer)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == expected
        assert ExternalLink.objects.filter(connection=connection).count() >= 1
        assert ExternalLink.objects.filter(connection=connection, external_id=expected).count() == 1
