"""AzetsSettings as the admin form validates it: the F/S id rules, dimensions, accrual, expense
import, states, and the warning for billability dimensions 7-12."""

from __future__ import annotations

import pytest

from integrations.azets.admin import AzetsSettingsForm
from tests.factories.azets import AzetsSettingsFactory

pytestmark = pytest.mark.django_db

VALID = {"source_client_id": "42", "parent_client_id": "S1001", "export_customers": "on",
         "export_invoices": "on"}


def errors_for(**changes) -> dict:
    form = AzetsSettingsForm(data={**VALID, **changes})
    form.is_valid()
    return form.errors


def test_valid_settings_pass():
    assert errors_for() == {}


def test_source_client_id_with_f_is_refused_with_a_hint():
    [message] = errors_for(source_client_id="F0042")["source_client_id"]
    assert "Leave out the leading F" in message and "0042" in message


@pytest.mark.parametrize("value", ["4a2", "42 ", "-1"])
def test_source_client_id_must_be_digits(value):
    assert "source_client_id" in errors_for(source_client_id=value + "x")


@pytest.mark.parametrize("value", ["1001", "s1001", "S", "SX1"])
def test_parent_client_id_must_be_s_and_digits(value):
    [message] = errors_for(parent_client_id=value)["parent_client_id"]
    assert "starts with S" in message


def test_project_and_department_cannot_share_an_org_unit():
    [message] = errors_for(project_dimension="3", department_dimension="3")["department_dimension"]
    assert "cannot share organisational unit 3" in message


def test_org_units_outside_one_to_twelve_are_refused():
    assert "billability_dimension" in errors_for(billability_dimension="13")


def test_expense_import_needs_an_activity_name_but_no_report_name():
    assert "expense_activity_name" in errors_for(import_expenses="on")
    assert errors_for(import_expenses="on", expense_activity_name="Utlegg") == {}


def test_accrual_needs_both_distinct_digit_accounts():
    missing = errors_for(accrual_enabled="on", accrual_debit_account="1530")
    assert list(missing) == ["accrual_credit_account"]
    same = errors_for(accrual_enabled="on", accrual_debit_account="1530",
                      accrual_credit_account="1530")
    assert "must differ" in same["accrual_debit_account"][0]
    letters = errors_for(accrual_enabled="on", accrual_debit_account="15A",
                         accrual_credit_account="3900")
    assert "Use digits only." in letters["accrual_debit_account"]


def test_state_filters_offer_the_register_states():
    form = AzetsSettingsForm(data={**VALID, "project_states": ["active", "planned"],
                                   "customer_states": ["nonsense"]})
    assert not form.is_valid()
    assert list(form.errors) == ["customer_states"]


@pytest.mark.parametrize(("dimension", "warned"), [(2, False), (6, False), (7, True), (12, True)])
def test_billability_dimension_seven_to_twelve_is_warned_about(dimension, warned):
    settings = AzetsSettingsFactory(import_expenses=True, billability_dimension=dimension)
    warnings = settings.configuration_warnings()
    assert bool(warnings) is warned
    if warned:
        assert "every expense will be ignored" in warnings[0]


def test_billability_values_one_and_two_decide_and_others_ignore():
    settings = AzetsSettingsFactory.build(billability_dimension=2)
    assert settings.billable_from({"2": "1"}) is True
    assert settings.billable_from({"2": "2"}) is False
    assert settings.billable_from({"2": "3"}) is None
    assert settings.billable_from({"1": "1"}) is None
