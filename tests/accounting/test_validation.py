"""Bad input is refused with a message naming the record and the field; nothing is saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.models import Customer, Invoice, InvoiceLine, Project
from accounting.services import invoice_line_save, invoice_save, record_save
from tests.factories import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    DepartmentFactory,
    ExpenseFactory,
    FinalizedInvoiceFactory,
    InvoiceFactory,
    ProductComponentFactory,
    ProductFactory,
    ProjectActivityFactory,
    ProjectFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


def messages(excinfo, field):
    return excinfo.value.message_dict[field]


class TestDuplicateNumbers:
    def test_duplicate_customer_number_within_a_client_is_refused(self):
        existing = CustomerFactory(number=10001)
        duplicate = Customer(client=existing.client, number=10001, name="Other AS")
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=duplicate)
        assert messages(excinfo, "number") == [
            "Customer 10001: number is already used by another customer of this client."
        ]
        assert Customer.objects.filter(number=10001).count() == 1

    def test_same_customer_number_is_allowed_for_another_client(self):
        CustomerFactory(number=10001)
        other = Customer(client=ClientFactory(), number=10001, name="Other AS")
        record_save(record=other)
        assert Customer.objects.filter(number=10001).count() == 2

    def test_duplicate_project_number_is_refused(self):
        project = ProjectFactory(number="P-1")
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=Project(client=project.client, number="P-1", name="Copy"))
        assert "Project P-1: number is already used" in messages(excinfo, "number")[0]

    def test_duplicate_department_code_and_product_number_are_refused(self):
        department = DepartmentFactory(code="10")
        product = ProductFactory(code="A1")
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=type(department)(client=department.client, code="10", name="x"))
        assert "Department 10: code is already used" in messages(excinfo, "code")[0]
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=type(product)(client=product.client, code="A1", name="x"))
        assert "Product A1: product number is already used" in messages(excinfo, "code")[0]

    def test_database_refuses_duplicates_that_skip_validation(self):
        from django.db import IntegrityError, transaction

        existing = CustomerFactory(number=7)
        with pytest.raises(IntegrityError), transaction.atomic():
            Customer.objects.create(client=existing.client, number=7, name="Bypass")


class TestCountryCodes:
    def test_non_iso_country_code_is_refused_naming_customer_and_field(self):
        customer = CustomerFactory.build(client=ClientFactory(), number=10002, country_code="XX")
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=customer)
        assert messages(excinfo, "country_code") == [
            "Customer 10002: country code 'XX' is not an ISO 3166-1 alpha-2 code (e.g. NO, SE)."
        ]

    def test_lower_case_country_code_is_normalized(self):
        customer = record_save(
            record=CustomerFactory.build(client=ClientFactory(), country_code="se")
        )
        customer.refresh_from_db()
        assert customer.country_code == "SE"

    def test_supplier_with_unknown_currency_is_refused(self):
        supplier = SupplierFactory.build(client=ClientFactory(), number=5, currency_code="NKR")
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=supplier)
        assert (
            "Supplier 5: currency code 'NKR' is not an ISO 4217 code"
            in messages(excinfo, "currency_code")[0]
        )


class TestCustomerDelivery:
    def test_ehf_delivery_requires_organization_number(self):
        customer = CustomerFactory.build(
            client=ClientFactory(), number=3, organization_number="", invoice_delivery_method="ehf"
        )
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=customer)
        assert messages(excinfo, "organization_number") == [
            "Customer 3: organization number is required for EHF delivery; add it or choose print."
        ]

    def test_email_delivery_without_organization_number_is_refused_at_save(self):
        customer = CustomerFactory.build(
            client=ClientFactory(), number=4, organization_number=" ",
            invoice_delivery_method="email", invoice_email="faktura@kunde.example",
        )
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=customer)
        assert messages(excinfo, "organization_number") == [
            "Customer 4: organization number is required for E-mail delivery; add it or "
            "choose print."
        ]

    def test_print_delivery_needs_no_organization_number(self):
        customer = CustomerFactory.build(
            client=ClientFactory(), number=5, organization_number="",
            invoice_delivery_method="print",
        )
        record_save(record=customer)
        assert customer.pk


class TestCrossClientReferences:
    def test_invoice_line_on_account_of_another_client_is_refused(self):
        invoice = InvoiceFactory()
        foreign_account = AccountFactory(client=ClientFactory(), number=3000)
        line = InvoiceLine(
            invoice=invoice, description="x", account=foreign_account, unit_price=Decimal("1")
        )
        with pytest.raises(ValidationError) as excinfo:
            invoice_line_save(line=line)
        assert messages(excinfo, "account") == [
            f"Draft invoice (id {invoice.pk}) line 1: "
            "account refers to Account 3000 of another client."
        ]
        assert not InvoiceLine.objects.exists()

    def test_project_of_another_clients_customer_is_refused(self):
        project = ProjectFactory.build(
            client=ClientFactory(), number="P9", customer=CustomerFactory(number=44)
        )
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=project)
        assert messages(excinfo, "customer") == [
            "Project P9: customer refers to Customer 44 of another client."
        ]

    def test_package_component_of_another_client_is_refused(self):
        component = ProductComponentFactory.build(
            package=ProductFactory(is_package=True, code="PK"), component=ProductFactory(code="C1")
        )
        with pytest.raises(ValidationError) as excinfo:
            component.full_clean()
        assert messages(excinfo, "component") == [
            "Product PK: component Product C1 belongs to another client."
        ]

    def test_expense_activity_of_another_project_is_refused(self):
        expense = ExpenseFactory.build(external_reference="e1")
        expense.client = ProjectFactory().client
        expense.project = ProjectFactory(client=expense.client)
        expense.activity = ProjectActivityFactory(client=expense.client)
        with pytest.raises(ValidationError) as excinfo:
            expense.full_clean()
        assert "Expense e1: activity" in messages(excinfo, "activity")[0]


class TestQuantitySign:
    def test_negative_quantity_on_an_invoice_is_refused(self):
        invoice = InvoiceFactory()
        line = InvoiceLine(
            invoice=invoice,
            description="x",
            account=AccountFactory(client=invoice.client),
            quantity=Decimal("-2"),
            unit_price=Decimal("100"),
        )
        with pytest.raises(ValidationError) as excinfo:
            invoice_line_save(line=line)
        assert messages(excinfo, "quantity") == [
            f"Draft invoice (id {invoice.pk}) line 1: quantity cannot be negative on an invoice "
            "(only on a credit note)."
        ]

    def test_negative_quantity_on_a_credit_note_is_allowed(self):
        original = FinalizedInvoiceFactory()
        credit_note = invoice_save(
            invoice=Invoice(
                client=original.client, customer=original.customer, credited_invoice=original
            )
        )
        line = invoice_line_save(
            line=InvoiceLine(
                invoice=credit_note,
                description="Refund",
                account=original.lines.get().account,
                quantity=Decimal("-1"),
                unit_price=Decimal("200.00"),
            )
        )
        assert line.amount_incl_vat == Decimal("-250.00")


class TestLineAccountVat:
    def test_line_on_account_without_vat_code_is_refused(self):
        invoice = InvoiceFactory()
        account = AccountFactory(client=invoice.client, number=3900, vat_code=None)
        with pytest.raises(ValidationError) as excinfo:
            invoice_line_save(
                line=InvoiceLine(invoice=invoice, description="x", account=account, unit_price=1)
            )
        assert "account 3900 has no VAT code" in messages(excinfo, "account")[0]


class TestCreditNoteCustomer:
    def test_credit_note_for_invoice_of_another_customer_is_refused(self):
        original = FinalizedInvoiceFactory()
        other_customer = CustomerFactory(client=original.client)
        credit_note = Invoice(
            client=original.client, customer=other_customer, credited_invoice=original
        )
        with pytest.raises(ValidationError) as excinfo:
            invoice_save(invoice=credit_note)
        assert messages(excinfo, "credited_invoice") == [
            f"Draft credit note (id new): credited invoice Invoice {original.number} belongs to "
            "another customer."
        ]
        assert Invoice.objects.count() == 1

    def test_credit_note_for_a_draft_invoice_is_refused(self):
        draft = InvoiceFactory()
        credit_note = Invoice(client=draft.client, customer=draft.customer, credited_invoice=draft)
        with pytest.raises(ValidationError) as excinfo:
            invoice_save(invoice=credit_note)
        assert "is not finalized" in messages(excinfo, "credited_invoice")[0]


class TestDates:
    def test_due_date_before_invoice_date_is_refused(self):
        from datetime import date

        invoice = InvoiceFactory(invoice_date=date(2026, 3, 2))
        invoice.due_date = date(2026, 3, 1)
        with pytest.raises(ValidationError) as excinfo:
            invoice_save(invoice=invoice)
        assert messages(excinfo, "due_date") == [
            f"Draft invoice (id {invoice.pk}): due date is before the invoice date."
        ]


class TestSalesOrderLines:
    def test_line_with_another_clients_product_is_refused_naming_the_order(self):
        order = SalesOrderFactory(number=5001)
        line = SalesOrderLineFactory.build(order=order, product=ProductFactory(code="X-1"))
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=line)
        assert messages(excinfo, "product") == [
            "Sales order 5001: product refers to Product X-1 of another client."
        ]
        assert not order.lines.exists()

    def test_line_with_the_orders_own_product_is_saved(self):
        order = SalesOrderFactory()
        line = SalesOrderLineFactory.build(
            order=order, product=ProductFactory(client=order.client)
        )
        record_save(record=line)
        assert order.lines.get() == line


class TestSalesOnANonIncomeAccount:
    """One rule: refused unless the account is marked usable for sales or a person confirmed
    the line (the admin offers the confirmation; the API and imports never give it)."""

    def line_on(self, number, **kwargs):
        invoice = InvoiceFactory()
        account = AccountFactory(client=invoice.client, number=number)
        return InvoiceLine(
            client=invoice.client, invoice=invoice, line_no=1, description="Frakt",
            account=account, quantity=Decimal("1"), unit_price=Decimal("100.00"), **kwargs,
        )  # fmt: skip

    def test_refused_without_confirmation_naming_line_and_account(self):
        with pytest.raises(ValidationError) as caught:
            self.line_on(4000).full_clean()
        message = " ".join(caught.value.message_dict["account"])
        assert "4000 is not an income account" in message and "confirm" in message

    def test_accepted_once_a_person_confirmed_it(self):
        self.line_on(4000, non_income_account_confirmed=True).full_clean()

    def test_the_credit_note_keeps_the_confirmation(self):
        line = self.line_on(4000, non_income_account_confirmed=True)
        invoice_line_save(line=line)
        from accounting.services import invoice_credit, invoice_finalize

        AccountFactory(client=line.client, number=3000)
        invoice_finalize(invoice=line.invoice, by=None)
        credit_note = invoice_credit(invoice=line.invoice, by=None)
        assert credit_note.lines.get().non_income_account_confirmed
