"""`manage.py test_connection <client>` against the sandbox over HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.models import Mode
from integrations.poweroffice import sandbox
from tests.factories.integrations import ConnectionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def run(client_name: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("test_connection", client_name, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


@pytest.fixture
def sandbox_keys(settings):
    settings.POWEROFFICE_APPLICATION_KEY = ""
    settings.POWEROFFICE_SUBSCRIPTION_KEY = ""  # sandbox mode then uses the sandbox's own keys


def connection(client_key: str):
    return ConnectionFactory(
        mode=Mode.SANDBOX, secrets={"client_key": client_key}, client__name="Fjord AS"
    )


def test_command_reports_the_client_name_and_privileges(po_sandbox, sandbox_keys):
    connection(sandbox.DEFAULT_CLIENT_KEY)
    out, failure = run("Fjord AS")
    assert failure == ""
    assert f"“{sandbox.DEFAULT_CLIENT_NAME}”" in out and "Customer_Full: present" in out


def test_command_reports_missing_privileges(po_sandbox, sandbox_keys):
    po_sandbox.control(
        "config",
        {
            "clients": {
                sandbox.DEFAULT_CLIENT_KEY: {"name": "Fjord AS", "privileges": ["Customer_Full"]}
            }
        },
    )
    connection(sandbox.DEFAULT_CLIENT_KEY)
    out, failure = run("Fjord AS")
    assert "1 connection test failed." in failure
    assert "OutgoingInvoiceVoucher_Full: MISSING" in out


def test_command_reports_a_key_from_the_other_environment(po_sandbox, sandbox_keys):
    connection(sandbox.OTHER_ENVIRONMENT_CLIENT_KEY)
    out, failure = run("Fjord AS")
    assert failure and "not registered in this environment" in out


def test_command_reports_an_unreachable_sandbox(po_sandbox, sandbox_keys):
    connection(sandbox.DEFAULT_CLIENT_KEY)
    po_sandbox.server.stop()
    out, failure = run("Fjord AS")
    assert failure and "could not be reached" in out
