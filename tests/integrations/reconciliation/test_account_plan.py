"""Finalize refuses lines the accounting system cannot take (from the stored account-plan
check, never the network), and the checklist step is never green on empty data."""

from __future__ import annotations

import pytest

from accounting.exceptions import InvoiceNotFinalizable
from accounting.services import invoice_finalize
from integrations.checklist import MISSING, NOT_NEEDED, OK
from integrations.reconciliation.account_plan import step_account_plan
from integrations.reconciliation.models import AccountPlanCheck
from tests.factories import AccountFactory, CustomerFactory, InvoiceFactory, InvoiceLineFactory
from tests.factories.integrations import ConnectionFactory

pytestmark = pytest.mark.django_db


def draft_on(connection, number=3000, external_vat_code="3"):
    account = AccountFactory(client=connection.client, number=number,
                             external_vat_code=external_vat_code)  # fmt: skip
    invoice = InvoiceFactory(client=connection.client)
    InvoiceLineFactory(invoice=invoice)
    InvoiceLineFactory(invoice=invoice, account=account)
    return invoice


class TestFinalize:
    def test_line_on_account_missing_there_is_refused_naming_invoice_line_account(self, http):
        connection = ConnectionFactory(enabled=False)
        invoice = draft_on(connection, number=3600)
        AccountPlanCheck.objects.create(connection=connection, missing_accounts=[3600])
        connection.enabled = True
        connection.save()

        with pytest.raises(InvoiceNotFinalizable) as refused:
            invoice_finalize(invoice=invoice, by=None)

        text = str(refused.value)
        assert text.startswith(f"Draft invoice (id {invoice.pk}): line 2: account 3600")
        assert "does not exist in PowerOffice Go" in text
        invoice.refresh_from_db()
        assert invoice.number is None and not invoice.is_finalized and not invoice.kid
        assert len(http.calls) == 0  # no HTTP at finalize

    def test_line_without_external_vat_code_is_refused(self):
        connection = ConnectionFactory(enabled=False)
        invoice = draft_on(connection, number=3100, external_vat_code="")
        connection.enabled = True
        connection.save()

        with pytest.raises(InvoiceNotFinalizable, match="line 2: account 3100 has no external VAT"):
            invoice_finalize(invoice=invoice, by=None)

    def test_without_an_accounting_connection_the_rule_does_not_apply(self):
        connection = ConnectionFactory(enabled=False)
        invoice = draft_on(connection, number=3100, external_vat_code="")

        assert invoice_finalize(invoice=invoice, by=None).number

    def test_a_check_of_a_disabled_connection_does_not_refuse(self):
        connection = ConnectionFactory(enabled=False)
        invoice = draft_on(connection, number=3600)
        AccountPlanCheck.objects.create(connection=connection, missing_accounts=[3600])

        assert invoice_finalize(invoice=invoice, by=None).is_finalized


class TestChecklistStep:
    def test_never_compared_and_empty_books_are_not_done(self):
        connection = ConnectionFactory()
        step = step_account_plan(client=connection.client, connections=[connection])
        assert step.state == MISSING
        assert "no accounts here" in step.detail and "no customers here" in step.detail
        assert "never compared" in step.detail

    def test_nothing_there_is_not_done(self):
        connection = ConnectionFactory()
        AccountFactory(client=connection.client)
        CustomerFactory(client=connection.client)
        AccountPlanCheck.objects.create(connection=connection, our_accounts=1)
        step = step_account_plan(client=connection.client, connections=[connection])
        assert step.state == MISSING
        assert "no accounts in PowerOffice Go" in step.detail
        assert "no VAT codes in PowerOffice Go" in step.detail

    def test_differences_are_red_with_the_list_and_equal_plans_green(self):
        connection = ConnectionFactory()
        AccountFactory(client=connection.client)
        CustomerFactory(client=connection.client)
        check = AccountPlanCheck.objects.create(
            connection=connection, our_accounts=2, their_accounts=9, their_vat_codes=7,
            missing_accounts=[3600], vat_code_differences=[["3030", "3", "31"]],
        )  # fmt: skip
        step = step_account_plan(client=connection.client, connections=[connection])
        assert step.state == MISSING
        assert "missing there: 3600" in step.detail and "3030 (here 3, there 31)" in step.detail
        check.missing_accounts, check.vat_code_differences = [], []
        check.save()
        assert step_account_plan(client=connection.client, connections=[connection]).state == OK

    def test_azets_only_is_not_needed(self):
        connection = ConnectionFactory(system="azets")
        step = step_account_plan(client=connection.client, connections=[connection])
        assert step.state == NOT_NEEDED
