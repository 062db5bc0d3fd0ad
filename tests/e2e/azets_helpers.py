"""Shared set-up of the Azets end-to-end tests: a client with an account plan, a customer, a
project with a department, and a sandbox-mode Azets connection with its settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounting.models import Account, Customer, Department, Project
from integrations.azets.models import AzetsSettings
from integrations.engine import transfer_process
from integrations.models import Transfer
from tests.factories.accounting import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    DepartmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    VatCodeFactory,
)
from tests.factories.azets import AzetsSettingsFactory


@dataclass
class Books:
    settings: AzetsSettings
    customer: Customer
    project: Project
    department: Department
    sales: Account
    sales_low: Account

    @property
    def client(self):
        return self.customer.client

    @property
    def connection(self):
        return self.settings.connection


def make_books(**settings) -> Books:
    client = ClientFactory()
    low = VatCodeFactory(client=client, code="31", name="Outgoing VAT, medium", rate=Decimal("15"))
    department = DepartmentFactory(client=client, code="10")
    customer = CustomerFactory(client=client, number=1001)
    return Books(
        settings=AzetsSettingsFactory(connection__client=client, **settings),
        customer=customer,
        project=ProjectFactory(client=client, number="200", customer=customer,
                               department=department),
        department=department,
        sales=AccountFactory(client=client, number=3000),
        sales_low=AccountFactory(client=client, number=3100, name="Sales, food",
                                 external_vat_code="31", vat_code=low),
    )


def draft_invoice(books: Books, *, prices=((3000, "1000.00"), (3000, "500.00"), (3100, "200.00")),
                  **fields):
    fields.setdefault("project", books.project)
    invoice = InvoiceFactory(client=books.client, customer=books.customer, **fields)
    accounts = {3000: books.sales, 3100: books.sales_low}
    for account, price in prices:
        InvoiceLineFactory(invoice=invoice, account=accounts[account], unit_price=Decimal(price))
    return invoice


def retry_now(transfer: Transfer) -> Transfer:
    Transfer.objects.filter(pk=transfer.pk).update(next_attempt_at=timezone.now())
    transfer_process(transfer.pk)
    transfer.refresh_from_db()
    return transfer
