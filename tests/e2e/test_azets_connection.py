"""Test connection and credentials against the Azets sandbox: the client's name and org units,
the F/S id rules, wrong passwords, and faults (401 breaks the connection, 429 waits)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounting.services import record_save
from integrations.connections import connection_test
from integrations.models import Transfer, TransferKind, TransferStatus
from tests.factories.azets import AzetsSettingsFactory

from .azets_helpers import make_books

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_connection_test_names_the_client_and_its_org_units(azets_sandbox):
    settings = AzetsSettingsFactory(project_dimension=3, billability_dimension=8,
                                    import_expenses=True)

    result = connection_test(connection=settings.connection)

    assert result.ok, result.message
    assert "Sandbox Demo AS" in result.message and "R8 Prosjektkode (text)" in result.message
    assert "Project dimension: R3 Prosjekt." in result.message
    assert "every expense will be ignored" in result.message


@pytest.mark.parametrize(("field", "value", "hint"), [
    ("source_client_id", "F42", "without F"),
    ("parent_client_id", "X1001", "parent client id (S…)"),
    ("parent_client_id", "S9999", "parent client id (S…)"),
])
def test_wrong_ids_fail_the_test_with_a_hint(azets_sandbox, field, value, hint):
    settings = AzetsSettingsFactory(**{field: value})  # stored before the form rules existed

    result = connection_test(connection=settings.connection)

    assert not result.ok
    assert hint in result.message


def test_wrong_password_fails_the_test_without_showing_it(azets_sandbox):
    settings = AzetsSettingsFactory(connection__secrets={"username": "azets-sandbox",
                                                         "password": "wrong-password-1"})

    result = connection_test(connection=settings.connection)

    assert not result.ok and "401" in result.message
    assert "wrong-password-1" not in result.message


def test_revoked_credentials_break_the_connection(
    azets_sandbox, django_capture_on_commit_callbacks
):
    books = make_books()
    azets_sandbox.control("faults", {"unauthorized": True})
    with django_capture_on_commit_callbacks(execute=True):
        record_save(record=books.customer)

    books.connection.refresh_from_db()
    transfer = Transfer.objects.get(kind=TransferKind.CUSTOMER)
    assert books.connection.is_broken
    assert (transfer.status, transfer.attempts) == (TransferStatus.PENDING, 0)


def test_throttled_export_waits_for_retry_after(azets_sandbox, django_capture_on_commit_callbacks):
    books = make_books()
    azets_sandbox.control("faults", {"throttle_rate": 1.0, "retry_after": 120})
    with django_capture_on_commit_callbacks(execute=True):
        record_save(record=books.customer)

    transfer = Transfer.objects.get(kind=TransferKind.CUSTOMER)
    assert transfer.status == TransferStatus.PENDING
    assert transfer.next_attempt_at >= timezone.now() + timedelta(seconds=110)
