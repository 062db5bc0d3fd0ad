"""Graceful shutdown: a worker stopped in the middle of a transfer never leaves it running for
good. The sweep's reaper puts it back after INTEGRATIONS_RUNNING_TIMEOUT; it is then sent once."""

from datetime import timedelta

import pytest
from django.core import checks
from django.utils import timezone

from integrations import engine
from integrations.models import AttemptOutcome, Transfer, TransferStatus
from tests.factories.integrations import TransferFactory

from .testconnector import BASE_URL


class WorkerStopped(BaseException):
    """What a stopping worker raises mid-call (SystemExit, KeyboardInterrupt are the same kind):
    not an Exception, so the engine records no outcome, as with a killed process."""


def stop_the_worker(request):
    raise WorkerStopped


@pytest.fixture
def stuck(connection, http, settings):
    settings.INTEGRATIONS_RUNNING_TIMEOUT = 600
    transfer = TransferFactory(connection=connection)
    http.add_callback("POST", f"{BASE_URL}/records", callback=stop_the_worker)
    with pytest.raises(WorkerStopped):
        engine.transfer_process(transfer.pk)
    transfer.refresh_from_db()
    return transfer


def test_a_worker_stopped_mid_transfer_leaves_it_running_with_an_open_attempt(stuck):
    assert stuck.status == TransferStatus.RUNNING
    assert stuck.attempt_set.get().outcome == AttemptOutcome.RUNNING


def test_the_reaper_leaves_it_alone_until_the_timeout(stuck):
    assert engine.transfers_reap_stale(now=timezone.now() + timedelta(seconds=590)) == 0
    stuck.refresh_from_db()
    assert stuck.status == TransferStatus.RUNNING


def test_after_the_timeout_it_is_pending_again_and_then_sent_once(stuck, http):
    later = timezone.now() + timedelta(seconds=601)
    assert engine.transfers_reap_stale(now=later) == 1
    stuck.refresh_from_db()
    assert stuck.status == TransferStatus.PENDING
    assert "worker stopped" in stuck.last_error
    assert stuck.attempt_set.get().outcome == AttemptOutcome.ERROR

    Transfer.objects.filter(pk=stuck.pk).update(next_attempt_at=timezone.now())  # due now
    http.replace("POST", f"{BASE_URL}/records", json={"id": 9}, status=201)
    assert engine.transfer_process(stuck.pk) == TransferStatus.SUCCEEDED
    posts = [c for c in http.calls if c.request.method == "POST"]
    assert len(posts) == 2  # the stopped call and the one that succeeded; no third
    assert list(stuck.attempt_set.values_list("number", "outcome")) == [
        (1, AttemptOutcome.ERROR), (2, AttemptOutcome.SUCCEEDED)
    ]


def test_out_of_attempts_it_fails_instead_of_running_forever(stuck, settings):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 1
    engine.transfers_reap_stale(now=timezone.now() + timedelta(seconds=601))
    stuck.refresh_from_db()
    assert stuck.status == TransferStatus.FAILED


class TestTimeoutChecks:
    def run(self):
        from integrations.checks import check_task_timeouts

        return {problem.id for problem in check_task_timeouts()}

    def test_consistent_settings_pass(self, settings):
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 360}
        settings.INTEGRATIONS_RUNNING_TIMEOUT = 900
        assert self.run() == set()

    def test_retry_not_above_timeout_is_an_error(self, settings):
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 300}
        assert self.run() == {"integrations.E006"}

    def test_running_timeout_not_above_task_timeout_is_an_error(self, settings):
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 360}
        settings.INTEGRATIONS_RUNNING_TIMEOUT = 300
        assert self.run() == {"integrations.E007"}

    def test_the_shipped_defaults_pass_the_system_checks(self):
        ids = {m.id for m in checks.run_checks() if m.level >= checks.ERROR}
        assert not ids & {"integrations.E006", "integrations.E007", "integrations.E008"}
