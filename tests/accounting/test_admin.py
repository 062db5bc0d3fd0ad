"""The admin: roles, service-backed saves, invoice actions, read-only finalized invoices."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounting.models import Customer, Invoice
from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF
from accounting.services import invoice_finalize
from tests.factories import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    FinalizedInvoiceFactory,
    InvoiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def user_in(group_name):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def customer_post_data(customer, **changes):
    data = {
        "client": customer.client_id, "number": customer.number, "name": customer.name,
        "organization_number": customer.organization_number, "country_code": customer.country_code,
        "invoice_delivery_method": customer.invoice_delivery_method, "discount_percent": "0",
        "payment_terms_days": "14", "state": customer.state,
        "contact_persons-TOTAL_FORMS": "0", "contact_persons-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


class TestRoles:
    def test_migration_creates_both_groups(self):
        assert set(Group.objects.values_list("name", flat=True)) >= {BACK_OFFICE_STAFF, ACCOUNTANTS}

    def test_accountant_can_view_but_not_change_a_customer(self, client):
        customer = CustomerFactory(name="Fjord AS")
        client.force_login(user_in(ACCOUNTANTS))
        url = reverse("admin:accounting_customer_change", args=[customer.pk])
        page = client.get(url)
        assert page.status_code == 200 and b"Fjord AS" in page.content
        assert b'name="name"' not in page.content  # shown read-only, no input
        response = client.post(url, customer_post_data(customer, name="Changed"))
        assert response.status_code == 403
        customer.refresh_from_db()
        assert customer.name == "Fjord AS"

    def test_back_office_staff_can_change_a_customer(self, client):
        customer = CustomerFactory(name="Fjord AS")
        client.force_login(user_in(BACK_OFFICE_STAFF))
        url = reverse("admin:accounting_customer_change", args=[customer.pk])
        response = client.post(url, customer_post_data(customer, name="Fjord og Fjell AS"))
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.name == "Fjord og Fjell AS"

    def test_accountant_cannot_finalize_invoices(self, client):
        invoice = InvoiceFactory(lines=1)
        client.force_login(user_in(ACCOUNTANTS))
        changelist = reverse("admin:accounting_invoice_changelist")
        client.post(changelist, {"action": "finalize_selected", "_selected_action": [invoice.pk]})
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.DRAFT

    def test_accountants_get_the_retransfer_permission_when_integrations_define_it(self):
        from django.contrib.auth.models import Permission

        group = Group.objects.get(name=ACCOUNTANTS)
        exists = Permission.objects.filter(codename="retransfer_transfer").exists()
        assert group.permissions.filter(codename="retransfer_transfer").exists() == exists
        assert not group.permissions.filter(codename__startswith="change_").exists()


class TestRegisterSaves:
    def test_admin_refuses_a_duplicate_customer_number_naming_it(self, superuser_client):
        existing = CustomerFactory(number=10001)
        response = superuser_client.post(
            reverse("admin:accounting_customer_add"),
            customer_post_data(CustomerFactory.build(client=existing.client, number=10001)),
        )
        assert response.status_code == 200
        assert (
            "Customer 10001: number is already used by another customer"
            in response.content.decode()
        )
        assert Customer.objects.count() == 1


class TestInvoiceAdmin:
    def test_finalize_action_numbers_the_invoice_and_reports(self, superuser_client):
        invoice = InvoiceFactory(lines=1)
        response = superuser_client.post(
            reverse("admin:accounting_invoice_changelist"),
            {"action": "finalize_selected", "_selected_action": [invoice.pk]},
            follow=True,
        )
        invoice.refresh_from_db()
        assert invoice.state == Invoice.State.FINALIZED and invoice.number == 10001
        assert "1 invoice finalized and queued for transfer." in response.content.decode()

    def test_change_page_shows_what_finalized_an_invoice_without_a_person(self, superuser_client):
        invoice = InvoiceFactory(lines=1)
        invoice_finalize(invoice=invoice, by=None, via="API token Kassesystem (lb_ab12…)")
        page = superuser_client.get(reverse("admin:accounting_invoice_change", args=[invoice.pk]))
        assert "API token Kassesystem (lb_ab12…)" in page.content.decode()

    def test_finalize_action_reports_refusals_by_invoice(self, superuser_client):
        invoice = FinalizedInvoiceFactory()
        response = superuser_client.post(
            reverse("admin:accounting_invoice_changelist"),
            {"action": "finalize_selected", "_selected_action": [invoice.pk]},
            follow=True,
        )
        assert f"Invoice {invoice.number}: it is already finalized." in response.content.decode()

    def test_credit_note_action_creates_a_draft_credit_note(self, superuser_client):
        invoice = FinalizedInvoiceFactory()
        superuser_client.post(
            reverse("admin:accounting_invoice_changelist"),
            {"action": "credit_selected", "_selected_action": [invoice.pk]},
        )
        credit_note = Invoice.objects.get(credited_invoice=invoice)
        assert credit_note.totals.amount_incl_vat == Decimal("-1250.00")

    def test_finalized_invoice_is_read_only_in_the_admin(self, superuser_client):
        invoice = FinalizedInvoiceFactory(description="Original")
        url = reverse("admin:accounting_invoice_change", args=[invoice.pk])
        assert b'name="description"' not in superuser_client.get(url).content
        response = superuser_client.post(url, {"description": "Changed"})
        assert response.status_code == 403
        invoice.refresh_from_db()
        assert invoice.description == "Original"

    def test_line_on_account_of_another_client_is_refused_in_the_inline(self, superuser_client):
        invoice = InvoiceFactory()
        foreign = AccountFactory(client=ClientFactory(), number=3000)
        data = {
            "client": invoice.client_id, "customer": invoice.customer_id, "description": "x",
            "invoice_date": "2026-03-02", "currency_code": "NOK", "currency_rate": "1",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Work", "lines-0-account": foreign.pk, "lines-0-quantity": "1",
            "lines-0-unit_price": "100", "lines-0-discount_percent": "0",
        }  # fmt: skip
        response = superuser_client.post(
            reverse("admin:accounting_invoice_change", args=[invoice.pk]), data
        )
        assert response.status_code == 200
        assert "account refers to Account 3000 of another client" in response.content.decode()
        assert not invoice.lines.exists()

    def test_changelist_and_search_render(self, superuser_client):
        invoice = FinalizedInvoiceFactory()
        response = superuser_client.get(
            reverse("admin:accounting_invoice_changelist"), {"q": invoice.number}
        )
        assert (
            response.status_code == 200 and f"Invoice {invoice.number}" in response.content.decode()
        )


class TestAccountsMissingVatCode:
    def test_filter_lists_only_accounts_without_external_vat_code(self, superuser_client):
        client_ = ClientFactory()
        AccountFactory(client=client_, number=3000, external_vat_code="3")
        AccountFactory(client=client_, number=3100, external_vat_code="")
        response = superuser_client.get(
            reverse("admin:accounting_account_changelist"),
            {"external_vat_code": "missing", "client__id__exact": client_.pk},
        )
        content = response.content.decode()
        assert "3100" in content and ">3000<" not in content


class TestImportInAdmin:
    def test_import_page_shows_row_errors_and_saves_nothing(self, superuser_client):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client_ = ClientFactory()
        csv = (
            "client,number,name,country_code,invoice_delivery_method,payment_terms_days\n"
            f"{client_.organization_number},1,Good AS,NO,print,14\n"
            f"{client_.organization_number},2,Bad AS,XX,print,14\n"
        ).encode()
        response = superuser_client.post(
            reverse("admin:accounting_customer_import"),
            {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("c.csv", csv)},
        )
        assert (
            "Customer 2: country code &#x27;XX&#x27; is not an ISO 3166-1"
            in response.content.decode()
        )
        assert not Customer.objects.exists()


class TestEveryScreenRenders:
    def test_every_accounting_changelist_and_add_form_renders_with_demo_data(
        self, superuser_client
    ):
        import io

        from django.contrib import admin
        from django.core.management import call_command

        call_command("demo_setup", stdout=io.StringIO())
        accounting_models = [m for m in admin.site._registry if m._meta.app_label == "accounting"]
        assert len(accounting_models) == 18  # lines, components and attachments are inlines
        for model in accounting_models:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            changelist = superuser_client.get(reverse(f"{prefix}_changelist"))
            assert changelist.status_code == 200, model
            add = superuser_client.get(reverse(f"{prefix}_add"))
            assert add.status_code in (200, 403), model
            first = model.objects.first()
            if first is not None:
                change = superuser_client.get(reverse(f"{prefix}_change", args=[first.pk]))
                assert change.status_code == 200, model


def test_admin_refuses_email_delivery_without_organization_number_at_save(superuser_client):
    customer = CustomerFactory(name="Fjord AS", organization_number="911111118")
    url = reverse("admin:accounting_customer_change", args=[customer.pk])

    response = superuser_client.post(url, customer_post_data(
        customer, organization_number="", invoice_delivery_method="email",
        invoice_email="faktura@fjord.example"))

    assert response.status_code == 200
    assert "organization number is required for E-mail delivery" in response.content.decode()
    customer.refresh_from_db()
    assert customer.organization_number == "911111118"
