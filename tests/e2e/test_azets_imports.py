"""Azets expense import end to end against the sandbox's seeded feed: cost accounts from 4000,
known projects only, the expense activity, billability values 1/2/other, dimensions 7-12,
re-runs that never duplicate or overwrite, paging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounting.models import Expense, ProjectActivity
from integrations.azets.services import azets_expense_imports_queue
from integrations.models import Transfer, TransferStatus
from tests.factories.accounting import ProjectActivityFactory, ProjectFactory

from .azets_helpers import make_books

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

SINCE = date(2025, 1, 1)


@pytest.fixture
def import_now(django_capture_on_commit_callbacks):
    def run(client) -> Transfer:
        with django_capture_on_commit_callbacks(execute=True):
            [transfer] = azets_expense_imports_queue(client=client, since=SINCE)
        transfer.refresh_from_db()
        return transfer

    return run


def imported_books(**settings):
    books = make_books(import_expenses=True, **settings)
    ProjectFactory(client=books.client, number="201", customer=books.customer)
    return books


def billable_by_reference(client) -> dict[str, bool]:
    return dict(Expense.objects.filter(client=client).values_list("external_reference", "billable"))


class TestBillability:
    def test_dimension_two_values_decide_and_other_values_are_skipped(self, azets_sandbox,
                                                                        import_now):
        books = imported_books(billability_dimension=2)

        transfer = import_now(books.client)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert billable_by_reference(books.client) == {
            "AZ-EXP-0001": True, "AZ-EXP-0002": False, "AZ-EXP-0004": True, "AZ-EXP-0007": True,
        }
        # 0003: value 3; 0005: account 3000; 0006: unknown project 999
        assert (transfer.result["fetched"], transfer.result["skipped"]) == (7, 3)

    def test_another_dimension_reads_its_own_values(self, azets_sandbox, import_now):
        books = imported_books(billability_dimension=4)

        import_now(books.client)

        assert billable_by_reference(books.client) == {
            "AZ-EXP-0001": False, "AZ-EXP-0002": True, "AZ-EXP-0003": True, "AZ-EXP-0004": True,
        }

    @pytest.mark.parametrize("dimension", [7, 8, 12])
    def test_dimension_seven_to_twelve_ignores_every_expense(self, azets_sandbox, import_now,
                                                              dimension):
        books = imported_books(billability_dimension=dimension)

        transfer = import_now(books.client)

        assert transfer.status == TransferStatus.SUCCEEDED
        assert not Expense.objects.filter(client=books.client).exists()
        assert transfer.result["skipped"] == 7

    def test_without_dimension_the_project_setting_decides(self, azets_sandbox, import_now):
        books = imported_books()
        books.project.expenses_billable = "no"
        books.project.save()

        import_now(books.client)

        billable = billable_by_reference(books.client)
        assert billable["AZ-EXP-0001"] is False and billable["AZ-EXP-0003"] is False
        assert set(billable) == {"AZ-EXP-0001", "AZ-EXP-0002", "AZ-EXP-0003", "AZ-EXP-0004",
                                 "AZ-EXP-0007"}


class TestImportRules:
    def test_expenses_land_on_the_named_activity_created_when_missing(self, azets_sandbox,
                                                                       import_now):
        books = imported_books(expense_activity_name="Utlegg")
        existing = ProjectActivityFactory(client=books.client, project=books.project,
                                          name="Utlegg")

        import_now(books.client)

        expense = Expense.objects.get(external_reference="AZ-EXP-0001")
        assert expense.activity == existing
        assert (expense.amount_incl_vat, expense.account, expense.project) == (
            Decimal("1250.00"), None, books.project)
        other = Expense.objects.get(external_reference="AZ-EXP-0004")
        assert other.activity.name == "Utlegg" and other.activity.project.number == "201"
        assert ProjectActivity.objects.filter(name="Utlegg").count() == 2

    def test_a_rerun_neither_duplicates_nor_overwrites(self, azets_sandbox, import_now):
        books = imported_books(billability_dimension=2)
        import_now(books.client)
        Expense.objects.filter(external_reference="AZ-EXP-0001").update(description="edited here")

        second = import_now(books.client)

        assert Expense.objects.filter(client=books.client).count() == 4
        assert Expense.objects.get(external_reference="AZ-EXP-0001").description == "edited here"
        assert (second.result["created"], second.result["skipped"]) == (0, 7)

    def test_every_page_of_the_feed_is_read_and_the_report_is_sent(self, azets_sandbox,
                                                                    import_now):
        books = imported_books(report_name="Prosjektbilag")
        azets_sandbox.control("config", {"page_size": 2})

        transfer = import_now(books.client)

        calls = azets_sandbox.requests("/expenses")
        assert transfer.result["fetched"] == 7
        assert len(calls) == 4
        assert all("report=Prosjektbilag" in call["query"] for call in calls)

    def test_an_unknown_report_fails_the_import_with_the_reason(self, azets_sandbox, import_now):
        books = imported_books(report_name="Nope")

        transfer = import_now(books.client)

        assert transfer.status == TransferStatus.FAILED
        assert "Unknown report" in transfer.last_error
