"""Manual re-transfer: the service, the Setup > Tools admin page and `manage.py retransfer`,
plus the shared pre-flight checks every connector runs before sending an invoice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.errors import DataError
from integrations.models import Transfer, TransferKind
from integrations.preflight import invoice_vat_codes_check, lock_date_check
from integrations.retransfer import numbers_parse, records_retransfer
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    UserFactory,
)
from tests.factories.integrations import ExternalLinkFactory  # noqa: I001

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    """A PowerOffice connection (customers and projects are its kinds); nothing runs, since
    on_commit callbacks do not fire in these tests."""
    from integrations import registry
    from integrations.poweroffice.connector import PowerOfficeConnector
    from tests.factories.integrations import ConnectionFactory

    with registry.override(PowerOfficeConnector()):
        yield ConnectionFactory()


def test_numbers_are_split_on_commas_trimmed_and_deduplicated():
    assert numbers_parse(" 10023,10024,, 10023 ;P-1") == ["10023", "10024", "P-1"]


class TestService:
    def test_queues_known_customers_whatever_their_state_and_reports_unknown(self, connection):
        client = connection.client
        inactive = CustomerFactory(client=client, number=10023, state="inactive")
        CustomerFactory(client=client, number=10024, state="potential")
        Transfer.objects.all().delete()

        report = records_retransfer(client=client, kind="customers", numbers="10023,10024,777,x")

        assert report.queued == ["10023", "10024"]
        assert report.unknown == ["777", "x"]
        queued = Transfer.objects.filter(kind=TransferKind.CUSTOMER, status="pending")
        assert {t.object_id for t in queued} >= {inactive.pk}
        assert queued.count() == 2

    def test_projects_are_found_by_their_number_text(self, connection):
        project = ProjectFactory(client=connection.client, number="P-1001", state="completed")
        report = records_retransfer(client=connection.client, kind="projects", numbers="P-1001")
        assert report.queued == ["P-1001"]
        assert Transfer.objects.filter(kind=TransferKind.PROJECT, object_id=project.pk).exists()

    def test_forgets_the_unchanged_hash_so_the_record_is_really_sent(self, connection):
        customer = CustomerFactory(client=connection.client, number=10023)
        link = ExternalLinkFactory(
            connection=connection, content_type_id=_ct(customer), object_id=customer.pk,
            content_hash="abc",
        )  # fmt: skip
        records_retransfer(client=connection.client, kind="customers", numbers="10023")
        link.refresh_from_db()
        assert link.content_hash == ""

    def test_records_of_another_client_are_unknown(self, connection):
        CustomerFactory(number=10023)  # another client
        report = records_retransfer(client=connection.client, kind="customers", numbers="10023")
        assert report.unknown == ["10023"] and report.queued == []

    def test_invoices_and_credit_notes_are_queued_by_number_each_as_what_it_is(self, connection):
        from accounting.services import invoice_credit, invoice_finalize

        invoice = InvoiceFactory(client=connection.client, lines=1)
        invoice = invoice_finalize(invoice=invoice, by=None)
        credit = invoice_finalize(invoice=invoice_credit(invoice=invoice, by=None), by=None)
        draft = InvoiceFactory(client=connection.client, number=4711)
        Transfer.objects.filter(object_id__in=[invoice.pk, credit.pk]).update(status="failed")

        report = records_retransfer(
            client=connection.client, kind="invoices",
            numbers=f"{invoice.number},{credit.number},{draft.number}",
        )  # fmt: skip

        assert report.queued == [str(invoice.number), str(credit.number)]
        assert report.unknown == ["4711"]  # a draft is not sent
        pending = Transfer.objects.filter(status="pending").values_list("object_id", "kind")
        assert set(pending) == {
            (invoice.pk, TransferKind.INVOICE), (credit.pk, TransferKind.CREDIT_NOTE),
        }  # fmt: skip

    def test_invoice_of_a_disabled_connection_waits_for_it(self, connection):
        from accounting.services import invoice_finalize

        connection.enabled = False
        connection.save()
        invoice = invoice_finalize(invoice=InvoiceFactory(client=connection.client, lines=1),
                                   by=None)  # fmt: skip
        Transfer.objects.all().delete()

        report = records_retransfer(
            client=connection.client, kind="invoices", numbers=str(invoice.number)
        )

        assert report.queued == [str(invoice.number)]
        assert Transfer.objects.get().status_text() == "waiting: connection disabled"


def _ct(obj):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


class TestAdminTool:
    def test_form_queues_and_reports_unknown_numbers(self, connection, admin_client):
        CustomerFactory(client=connection.client, number=10023)
        url = reverse("admin:integrations_retransfer_tool")

        response = admin_client.post(
            url,
            {"client": connection.client.pk, "kind": "customers", "numbers": "10023, 4242"},
            follow=True,
        )

        shown = [str(m) for m in response.context["messages"]]
        assert any("Queued for transfer: 10023" in m for m in shown)
        assert any("Unknown numbers (nothing sent): 4242" in m for m in shown)

    def test_page_needs_the_retransfer_permission(self, connection, client):
        user = UserFactory(is_staff=True)
        client.force_login(user)
        url = reverse("admin:integrations_retransfer_tool")
        assert client.get(url).status_code == 403
        user.user_permissions.add(Permission.objects.get(codename="retransfer_transfer"))
        assert client.get(url).status_code == 200


class TestCommand:
    def test_queues_by_organization_number_and_fails_on_unknown_numbers(self, connection):
        CustomerFactory(client=connection.client, number=10023)
        org = connection.client.organization_number
        with pytest.raises(CommandError, match="Unknown numbers: 10024"):
            call_command("retransfer", client=org, kind="customers", numbers="10023,10024")
        assert Transfer.objects.filter(kind=TransferKind.CUSTOMER, object_number="10023").exists()

    def test_unknown_client_is_an_error(self, connection):
        with pytest.raises(CommandError, match="No single client"):
            call_command("retransfer", client="123", kind="customers", numbers="1")


class TestPreflight:
    def test_line_on_account_without_external_vat_code_is_named(self):
        invoice = InvoiceFactory(lines=1)
        bare = AccountFactory(client=invoice.client, number=3900, external_vat_code="")
        InvoiceLineFactory(invoice=invoice, account=bare)
        invoice.number = 10023
        with pytest.raises(DataError, match="Invoice 10023 line 2: account 3900 has no external"):
            invoice_vat_codes_check(invoice=invoice)

    def test_invoice_with_every_code_passes(self):
        invoice_vat_codes_check(invoice=InvoiceFactory(lines=2))

    def test_date_on_or_before_the_lock_date_is_refused(self):
        lock = dt.date(2026, 3, 31)
        with pytest.raises(DataError, match="locked up to and including 2026-03-31"):
            lock_date_check(record="Invoice 10023", day=lock, lock_date=lock)
        lock_date_check(record="Invoice 10023", day=dt.date(2026, 4, 1), lock_date=lock)
        lock_date_check(record="Invoice 10023", day=lock, lock_date=None)
