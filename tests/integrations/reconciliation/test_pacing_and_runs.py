"""The low-priority limiter, runs of systems that cannot read back, the command, the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from integrations.ratelimit import SlidingWindowRateLimiter
from integrations.reconciliation.models import Finding, ReconciliationItem, ReconciliationRun
from integrations.reconciliation.pacing import LowPriorityLimiter
from integrations.reconciliation.services import reconciliation_run
from tests.factories import UserFactory
from tests.factories.integrations import ConnectionFactory
from tests.integrations.poweroffice.conftest import FakeClock


class TestLowPriorityLimiter:
    def test_it_uses_at_most_its_share_and_leaves_the_rest_to_transfers(self):
        clock = FakeClock()
        shared = SlidingWindowRateLimiter(10, clock=clock, sleep=clock.sleep)
        background = LowPriorityLimiter(shared, rate=10, share=0.25, sleep=clock.sleep,
                                        clock=clock)  # fmt: skip
        for _call in range(4):
            background.acquire("po")
        assert clock.now - 1000.0 >= 1.0  # 4 calls at 2.5/s take over a second
        # In every window transfers still find most of the budget free at once.
        free_now = sum(1 for _slot in range(10) if shared.reserve("po") == 0)
        assert free_now >= 7

    def test_it_steps_back_while_the_budget_is_full(self):
        clock = FakeClock()
        shared = SlidingWindowRateLimiter(10, clock=clock, sleep=clock.sleep)
        for _slot in range(10):
            shared.acquire("po")  # interactive work filled the window
        background = LowPriorityLimiter(shared, rate=10, sleep=clock.sleep, clock=clock)
        background.acquire("po")
        assert background.waited >= 0.9 and background.calls == 1


@pytest.mark.django_db
class TestRuns:
    def test_azets_run_says_it_cannot_read_back(self, mailoutbox):
        connection = ConnectionFactory(system="azets")
        run = reconciliation_run(connection=connection)
        assert run.status == "not_supported"
        assert "no route to read invoices" in run.note
        assert mailoutbox == []

    def test_default_period_is_the_last_40_days(self):
        run = reconciliation_run(connection=ConnectionFactory(system="azets"))
        assert (run.date_to - run.date_from).days == 40

    def test_command_reports_counts_and_refuses_an_unknown_client(self, capsys):
        connection = ConnectionFactory(system="azets")
        call_command("reconcile", str(connection.client.pk), "--from", "2026-03-01",
                     "--to", "2026-03-31")  # fmt: skip
        out = capsys.readouterr().out
        assert "2026-03-01 – 2026-03-31" in out and "not supported" in out
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="No single client"):
            call_command("reconcile", "nobody")


@pytest.mark.django_db
class TestAdmin:
    def make_run(self):
        connection = ConnectionFactory()
        run = ReconciliationRun.objects.create(
            client=connection.client, connection=connection, date_from=dt.date(2026, 3, 1),
            date_to=dt.date(2026, 3, 31), status="done", counts={Finding.DOUBLED: 1},
        )  # fmt: skip
        ReconciliationItem.objects.create(run=run, finding=Finding.DOUBLED, what="invoice",
                                          number="10023", detail="2 documents there")  # fmt: skip
        return run

    def test_page_and_downloads_for_a_superuser(self, client):
        run = self.make_run()
        client.force_login(UserFactory(is_superuser=True))
        page = client.get(reverse("admin:integrations_reconciliationrun_change", args=[run.pk]))
        assert page.status_code == 200 and "10023" in page.content.decode()
        for file_format in ("csv", "xlsx"):
            url = reverse("admin:integrations_reconciliationrun_download",
                          args=[run.pk, file_format])  # fmt: skip
            response = client.get(url)
            assert response.status_code == 200
            assert f".{file_format}" in response["Content-Disposition"]
        assert b"10023" in client.get(url.replace("xlsx", "csv")).content

    def test_staff_without_permissions_sees_nothing_and_cannot_start(self, client):
        run = self.make_run()
        client.force_login(UserFactory(is_staff=True))
        page = client.get(reverse("admin:integrations_reconciliationrun_change", args=[run.pk]))
        assert page.status_code == 403
        start = reverse("admin:integrations_reconciliationrun_start", args=[run.connection_id])
        assert client.post(start).status_code == 403
        assert ReconciliationRun.objects.count() == 1

    def test_button_queues_a_run(self, client):
        connection = ConnectionFactory(system="azets")
        client.force_login(UserFactory(is_superuser=True))
        start = reverse("admin:integrations_reconciliationrun_start", args=[connection.pk])
        assert client.get(start).status_code == 405
        assert client.post(start).status_code == 302
        assert ReconciliationRun.objects.get().started_by  # ran (sync queue in tests)
