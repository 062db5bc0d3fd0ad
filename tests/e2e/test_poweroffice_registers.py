"""Issue 8 end to end against the PowerOffice sandbox over HTTP, through the real engine
(record_save queues, Django-Q2 in sync mode runs): every register, the create-only supplier
rule, product group creation, default sales accounts, the employee number-series rule, the
initial sync run twice without duplicates, and a sales-order draft sent once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounting.models import Customer, Product, Supplier, Unit
from accounting.services import record_save, sales_order_mark_invoiced
from integrations.models import Transfer, TransferKind, TransferStatus
from integrations.poweroffice import sandbox
from integrations.poweroffice.lookups import lookups_clear
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProductFactory,
    ProductGroupFactory,
    SalesOrderFactory,
    SupplierFactory,
    UnitFactory,
)
from tests.factories.integrations import ConnectionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def connection(po_sandbox, settings):
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    lookups_clear()
    yield ConnectionFactory(secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY})
    lookups_clear()


def rows(po_sandbox, register: str) -> list[dict]:
    return list(po_sandbox.books().register(register).rows.values())


def last(kind: str) -> Transfer:
    return Transfer.objects.filter(kind=kind).latest("pk")


def test_department_with_manager_employee_and_contact_person_arrive(po_sandbox, connection):
    client = connection.client
    manager = EmployeeFactory(client=client, number=7, first_name="Siri")
    department = DepartmentFactory(client=client, code="SALG", manager=manager)
    record_save(record=department)
    customer = CustomerFactory(client=client, number=10100)
    record_save(record=ContactPersonFactory(client=client, customer=customer, last_name="Berg"))

    [employee] = rows(po_sandbox, "Employees")
    [remote_department] = rows(po_sandbox, "Departments")
    assert remote_department["ManagerEmployeeId"] == employee["Id"]
    assert employee["Number"] == 7
    [person] = rows(po_sandbox, "ContactPersons")
    [remote_customer] = rows(po_sandbox, "Customers")
    assert (person["ContactId"], person["LastName"]) == (remote_customer["Id"], "Berg")


def test_employee_outside_the_number_series_is_refused_before_any_write(po_sandbox, connection):
    record_save(record=EmployeeFactory(client=connection.client, number=12000))

    transfer = last(TransferKind.EMPLOYEE)
    assert transfer.status == TransferStatus.FAILED
    assert "outside the employee number series" in transfer.last_error
    assert rows(po_sandbox, "Employees") == []
    assert not po_sandbox.requests("/v2/Employees")


def test_suppliers_need_an_organization_number_and_are_never_updated(po_sandbox, connection):
    client = connection.client
    record_save(record=SupplierFactory(client=client, number=20001, organization_number=""))
    assert last(TransferKind.SUPPLIER).status == TransferStatus.SKIPPED
    assert rows(po_sandbox, "Suppliers") == []

    supplier = SupplierFactory(client=client, number=20002, name="Timber AS", country_code="SE")
    record_save(record=supplier)
    supplier.name = "Timber Renamed AS"
    record_save(record=supplier)

    [remote] = rows(po_sandbox, "Suppliers")
    [group] = rows(po_sandbox, "ContactGroups")
    assert (remote["Name"], remote["ContactGroupIds"]) == ("Timber AS", [group["Id"]])
    assert group["Name"] == "PowerOffice"
    assert last(TransferKind.SUPPLIER).status == TransferStatus.SKIPPED
    assert not po_sandbox.requests("PATCH")


def test_products_create_their_group_and_take_default_sales_accounts(po_sandbox, connection):
    client = connection.client
    group = ProductGroupFactory(client=client, number=40, name="Shelves")
    unit = UnitFactory(client=client, code="pcs")
    accounts = {a["AccountNo"]: a["Id"] for a in rows(po_sandbox, "GeneralLedgerAccounts")}
    for code, rate in (("S25", "25"), ("S15", "15"), ("S0", "0")):
        record_save(record=ProductFactory(client=client, code=code, group=group, unit=unit,
                                          vat_rate=Decimal(rate)))  # fmt: skip

    [remote_group] = rows(po_sandbox, "ProductGroups")
    assert (remote_group["Code"], remote_group["Name"]) == ("40", "Shelves")
    products = {p["Code"]: p for p in rows(po_sandbox, "Products")}
    assert {code: p["StandardSalesAccountId"] for code, p in products.items()} == {
        "S25": accounts[3000], "S15": accounts[3030], "S0": accounts[3100],
    }  # fmt: skip
    assert {p["ProductGroupId"] for p in products.values()} == {remote_group["Id"]}
    assert products["S25"]["UnitOfMeasureCode"] == "EA"


def test_a_groups_alternative_sales_account_reaches_poweroffice(po_sandbox, connection):
    from tests.factories import AccountFactory

    client = connection.client
    alternative = AccountFactory(client=client, number=3030)
    group = ProductGroupFactory(client=client, number=41, name="Export",
                                alternative_sales_account=alternative)  # fmt: skip
    accounts = {a["AccountNo"]: a["Id"] for a in rows(po_sandbox, "GeneralLedgerAccounts")}
    record_save(record=ProductFactory(client=client, code="EXP", group=group, unit=None))
    record_save(record=ProductFactory(client=client, code="PLAIN", unit=None))

    [remote_group] = rows(po_sandbox, "ProductGroups")
    assert remote_group["OptionalSalesAccountId"] == accounts[3030]
    products = {p["Code"]: p for p in rows(po_sandbox, "Products")}
    assert products["EXP"]["OptionalSalesAccountId"] == accounts[3030]
    assert products["PLAIN"]["OptionalSalesAccountId"] == accounts[3100]


def test_invoiced_order_becomes_one_draft(po_sandbox, connection):
    client = connection.client
    order = SalesOrderFactory(client=client, customer=CustomerFactory(client=client), lines=2)
    for line in order.lines.all():
        record_save(record=line.product)

    sales_order_mark_invoiced(order=order, by=None)
    sales_order_mark_invoiced(order=order, by=None)
    Transfer.objects.filter(kind=TransferKind.SALES_ORDER).update(status=TransferStatus.PENDING)
    from integrations.engine import transfer_process

    transfer_process(last(TransferKind.SALES_ORDER).pk)  # a re-run: skipped, not sent twice

    [draft] = po_sandbox.books().sales_orders.values()
    assert draft["SalesOrderStatus"] == "Draft"
    assert draft["ContractNo"] == str(order.number)
    assert draft["SalesOrderLines"][0]["LineType"] == "Text"
    assert len(po_sandbox.requests("/SalesOrders/Complete")) == 1


def test_initial_sync_twice_creates_nothing_twice_and_queues_no_transfer(po_sandbox, connection):
    books = po_sandbox.books()
    books.register("Products").create(
        {
            "Name": "Hammer",
            "Code": "H1",
            "UnitOfMeasureCode": "EA",
            "UnitPrice": 99.0,
            "ProductType": "Product",
        }
    )
    books.create_contact(
        "Suppliers", {"Name": "Nails AS", "Number": 20010, "OrganizationNumber": "999888771"}
    )
    books.create_contact("Customers", {"Name": "Buyer AS", "Number": 10500})
    CustomerFactory(client=connection.client, number=10500, name="Buyer (local)")

    for _run in range(2):
        call_command("initial_sync", connection.client.organization_number)

    client = connection.client
    assert Product.objects.filter(client=client, code="H1").count() == 1
    assert Unit.objects.get(client=client, external_code="EA").name == "Each"
    supplier = Supplier.objects.get(client=client, number=20010)
    assert supplier.group.name == "PowerOffice"
    assert Customer.objects.filter(client=client, number=10500).count() == 1
    assert Customer.objects.get(client=client, number=10500).name == "Buyer AS"
    first, second = Transfer.objects.filter(kind=TransferKind.INITIAL_SYNC).order_by("pk")
    assert first.result["registers"]["customers"]["updated"] == 1
    assert first.result["registers"]["products"]["created"] == 1
    assert second.result["created"] == 0 and second.result["updated"] == 0
    assert second.result["registers"]["suppliers"]["skipped"] == 1
    exports = Transfer.objects.exclude(kind=TransferKind.INITIAL_SYNC)
    assert not exports.exists()
