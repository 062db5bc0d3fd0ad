"""Factories for the accounting domain. Related records default to the same client.

InvoiceFactory builds a draft; `InvoiceFactory(lines=2)` adds lines; `FinalizedInvoiceFactory`
finalizes through the service (so it gets a number, KID, PDF and a queued transfer).
"""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from accounting import models
from accounting.models.validation import org_number_check_digit

__all__ = [
    "AccountFactory",
    "ClientFactory",
    "ContactPersonFactory",
    "CustomerFactory",
    "DepartmentFactory",
    "EmployeeFactory",
    "ExpenseAttachmentFactory",
    "ExpenseFactory",
    "FinalizedInvoiceFactory",
    "InvoiceFactory",
    "InvoiceLineFactory",
    "PaymentFactory",
    "ProductComponentFactory",
    "ProductFactory",
    "ProductGroupFactory",
    "ProjectActivityFactory",
    "ProjectFactory",
    "SalesOrderFactory",
    "SalesOrderLineFactory",
    "SupplierFactory",
    "SupplierGroupFactory",
    "UnitFactory",
    "UserFactory",
    "VatCodeFactory",
]


def org_number(start: int, n: int) -> str:
    """The n-th organization number from `start` with a valid MOD11 check digit."""
    found = -1
    base = start // 10
    while True:
        check = org_number_check_digit(f"{base:08d}")
        if check is not None:
            found += 1
            if found == n:
                return f"{base:08d}{check}"
        base += 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("secret-pass-123")
    is_staff = True


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Client

    name = factory.Sequence(lambda n: f"Client {n} AS")
    organization_number = factory.Sequence(lambda n: org_number(900000000, n))


class ClientOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    client = factory.SubFactory(ClientFactory)


class VatCodeFactory(ClientOwnedFactory):
    class Meta:
        model = models.VatCode
        django_get_or_create = ("client", "code")

    code = "3"
    name = "Outgoing VAT, high rate"
    rate = Decimal("25.00")


class AccountFactory(ClientOwnedFactory):
    class Meta:
        model = models.Account
        django_get_or_create = ("client", "number")

    number = 3000
    name = "Sales, high VAT rate"
    external_vat_code = "3"
    vat_code = factory.SubFactory(VatCodeFactory, client=factory.SelfAttribute("..client"))


class DepartmentFactory(ClientOwnedFactory):
    class Meta:
        model = models.Department

    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Department {n}")


class EmployeeFactory(ClientOwnedFactory):
    class Meta:
        model = models.Employee

    number = factory.Sequence(lambda n: 100 + n)
    first_name = "Kari"
    last_name = factory.Sequence(lambda n: f"Nordmann{n}")
    email = factory.LazyAttribute(lambda e: f"{e.last_name.lower()}@example.com")


class CustomerFactory(ClientOwnedFactory):
    class Meta:
        model = models.Customer

    number = factory.Sequence(lambda n: 10000 + n)
    name = factory.Sequence(lambda n: f"Customer {n} AS")
    organization_number = factory.Sequence(lambda n: org_number(910000000, n))
    email = factory.Sequence(lambda n: f"post{n}@customer.example")
    invoice_email = factory.Sequence(lambda n: f"invoice{n}@customer.example")
    address_line1 = "Storgata 1"
    postcode = "0155"
    city = "Oslo"
    country_code = "NO"


class ContactPersonFactory(ClientOwnedFactory):
    class Meta:
        model = models.ContactPerson

    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))
    first_name = "Ola"
    last_name = factory.Sequence(lambda n: f"Kontakt{n}")
    email = factory.LazyAttribute(lambda c: f"{c.last_name.lower()}@customer.example")


class SupplierFactory(ClientOwnedFactory):
    class Meta:
        model = models.Supplier

    number = factory.Sequence(lambda n: 20000 + n)
    name = factory.Sequence(lambda n: f"Supplier {n} AS")
    organization_number = factory.Sequence(lambda n: org_number(920000000, n))


class ProjectFactory(ClientOwnedFactory):
    class Meta:
        model = models.Project

    number = factory.Sequence(lambda n: f"P{1000 + n}")
    name = factory.Sequence(lambda n: f"Project {n}")
    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))
    owner_email = "owner@example.com"


class ProjectActivityFactory(ClientOwnedFactory):
    class Meta:
        model = models.ProjectActivity

    project = factory.SubFactory(ProjectFactory, client=factory.SelfAttribute("..client"))
    name = factory.Sequence(lambda n: f"Activity {n}")


class UnitFactory(ClientOwnedFactory):
    class Meta:
        model = models.Unit
        django_get_or_create = ("client", "code")

    code = "pcs"
    name = "Pieces"


class ProductGroupFactory(ClientOwnedFactory):
    class Meta:
        model = models.ProductGroup

    number = factory.Sequence(lambda n: 1 + n)
    name = factory.Sequence(lambda n: f"Group {n}")


class ProductFactory(ClientOwnedFactory):
    class Meta:
        model = models.Product

    code = factory.Sequence(lambda n: f"PR{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = factory.SubFactory(UnitFactory, client=factory.SelfAttribute("..client"))
    sales_price = Decimal("100.00")
    cost_price = Decimal("60.00")


class ProductComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductComponent

    package = factory.SubFactory(ProductFactory, is_package=True)
    component = factory.SubFactory(ProductFactory, client=factory.SelfAttribute("..package.client"))
    quantity = Decimal("1")


class InvoiceFactory(ClientOwnedFactory):
    """A draft invoice. `lines=N` adds N lines of 1 × 1000.00 on account 3000 (25 %)."""

    class Meta:
        model = models.Invoice
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))
    description = "Consulting"
    invoice_date = date(2026, 3, 2)

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        for _index in range(extracted or 0):
            InvoiceLineFactory(invoice=self, **kwargs)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    """A line saved through invoice_line_save, so its amounts are computed."""

    class Meta:
        model = models.InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    client = factory.SelfAttribute("invoice.client")
    description = factory.Sequence(lambda n: f"Work item {n}")
    account = factory.SubFactory(AccountFactory, client=factory.SelfAttribute("..client"))
    quantity = Decimal("1")
    unit_price = Decimal("1000.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounting.services import invoice_line_save

        return invoice_line_save(line=model_class(*args, **kwargs))


class FinalizedInvoiceFactory(InvoiceFactory):
    """An invoice with one line (unless `lines=` says otherwise), finalized by the service."""

    @factory.post_generation
    def finalize(self, create, extracted, **kwargs):
        from accounting.services import invoice_finalize

        if not create:
            return
        if not self.lines.exists():
            InvoiceLineFactory(invoice=self)
        invoice_finalize(invoice=self, by=None)


class ExpenseFactory(ClientOwnedFactory):
    class Meta:
        model = models.Expense

    source_system = "poweroffice"
    external_reference = factory.Sequence(lambda n: f"exp-{n}")
    description = "Train ticket"
    amount_incl_vat = Decimal("1250.00")
    supplier_name = "Vy"
    invoice_date = date(2026, 3, 1)
    project = factory.SubFactory(ProjectFactory, client=factory.SelfAttribute("..client"))


class ExpenseAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExpenseAttachment

    expense = factory.SubFactory(ExpenseFactory)
    name = "receipt.pdf"
    file = factory.django.FileField(filename="receipt.pdf", data=b"%PDF-1.4\n%%EOF\n")


class PaymentFactory(ClientOwnedFactory):
    class Meta:
        model = models.Payment

    invoice = factory.SubFactory(FinalizedInvoiceFactory, client=factory.SelfAttribute("..client"))
    external_reference = factory.Sequence(lambda n: f"pay-{n}")
    payment_date = date(2026, 3, 20)
    amount = Decimal("1250.00")


class SupplierGroupFactory(ClientOwnedFactory):
    class Meta:
        model = models.SupplierGroup
        django_get_or_create = ("client", "name")

    name = "PowerOffice"


class SalesOrderFactory(ClientOwnedFactory):
    """An open order; `lines=N` adds N lines of 2 × 150.00 with 10 % discount."""

    class Meta:
        model = models.SalesOrder
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: 5000 + n)
    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))
    your_reference = "Their buyer"
    header = "Spring delivery"
    note = "Deliver to the back door"

    @factory.post_generation
    def lines(obj, create, extracted, **kwargs):
        for index in range(extracted or 0):
            SalesOrderLineFactory(order=obj, line_no=index + 1)


class SalesOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SalesOrderLine

    order = factory.SubFactory(SalesOrderFactory)
    product = factory.SubFactory(ProductFactory, client=factory.SelfAttribute("..order.client"))
    description = "Shelf"
    quantity = Decimal("2")
    unit_price = Decimal("150.00")
    discount_percent = Decimal("10")
