"""Issue 8 registers through the engine over mocked HTTP: employees in their number series,
departments after their manager, contact persons after their customer, create-only suppliers
with an organization number, product groups created for products, default sales accounts by VAT
rate, and sales-order drafts sent once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounting.services import sales_order_mark_invoiced
from integrations import registry
from integrations.engine import transfer_process
from integrations.models import ExternalLink, TransferKind, TransferStatus
from integrations.outbox import transfer_enqueue
from integrations.poweroffice.connector import PowerOfficeConnector
from integrations.poweroffice.sandbox.seeds import NUMBER_SERIES
from tests.factories import (
    AccountFactory,
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

from .conftest import API
from .contract_helpers import sent_json, sent_requests
from .export_helpers import CUSTOMER_ROW, make_connection, mock_new_customer, mock_token

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    {"Id": 1011, "AccountNo": 3000, "Name": "Sales", "IsActive": True},
    {"Id": 1013, "AccountNo": 3030, "Name": "Sales, 15 %", "IsActive": True},
    {"Id": 1012, "AccountNo": 3100, "Name": "Sales, exempt", "IsActive": True},
]


@pytest.fixture
def connection(settings, http):
    with registry.override(PowerOfficeConnector()):
        connection = make_connection(settings)
        mock_token(http)
        yield connection


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run_export(obj, kind, connection):
        with django_capture_on_commit_callbacks(execute=True):
            [transfer] = transfer_enqueue(obj=obj, kind=kind, connection=connection)
        # A document finalized while the connection was disabled already waited (and so was
        # not handed to the queue again): run it now, as enabling the connection would.
        transfer_process(transfer.pk)
        transfer.refresh_from_db()
        return transfer

    return run_export


def series(http, kind: str) -> None:
    rows = [s for s in NUMBER_SERIES if s["SubLedgerNumberSeriesType"] == kind]
    http.add("GET", f"{API}/SubLedgerNumberSeries", json=rows)


def mock_new(http, resource: str, row: dict, status: int = 201) -> None:
    http.add("GET", f"{API}/{resource}", status=204)
    http.add("POST", f"{API}/{resource}", json=row, status=status)


class TestEmployees:
    def test_number_outside_the_employee_series_is_refused_before_any_write(
        self, connection, http, run
    ):
        series(http, "Employee")
        employee = EmployeeFactory(client=connection.client, number=12000)

        transfer = run(employee, TransferKind.EMPLOYEE, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "Employee 12000: number 12000 is outside the employee number series" in (
            transfer.last_error
        )
        assert "1–9999" in transfer.last_error
        assert not sent_requests(http, "GET", "/Employees")
        assert not sent_requests(http, "POST", "/Employees")

    def test_external_ledger_number_is_used_when_set(self, connection, http, run):
        series(http, "Employee")
        employee = EmployeeFactory(
            client=connection.client, number=12000, external_ledger_number=42
        )
        mock_new(http, "Employees", {"Id": 501, "Number": 42})

        transfer = run(employee, TransferKind.EMPLOYEE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        body = sent_json(http, "POST", "/Employees")
        assert body["Number"] == 42
        assert body["FirstName"] == employee.first_name

    def test_department_links_its_manager_exported_first(self, connection, http, run):
        series(http, "Employee")
        manager = EmployeeFactory(client=connection.client, number=7)
        department = DepartmentFactory(client=connection.client, code="SALG", manager=manager)
        mock_new(http, "Employees", {"Id": 501, "Number": 7})
        mock_new(http, "Departments", {"Id": 601, "Code": "SALG"})

        transfer = run(department, TransferKind.DEPARTMENT, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert sent_json(http, "POST", "/Departments")["ManagerEmployeeId"] == 501
        posts = [c.request.url for c in http.calls if c.request.method == "POST"]
        assert posts.index(f"{API}/Employees") < posts.index(f"{API}/Departments")


class TestContactPersons:
    def test_contact_person_is_created_on_its_customer_after_the_customer(
        self, connection, http, run
    ):
        series(http, "Customer")
        customer = CustomerFactory(client=connection.client, number=10001)
        person = ContactPersonFactory(client=connection.client, customer=customer)
        mock_new_customer(http)
        http.add("GET", f"{API}/ContactPersons", status=204)
        contact_url = f"{API}/ContactPersons/{CUSTOMER_ROW['Id']}"
        http.add("POST", contact_url, json={"Id": 901}, status=201)

        transfer = run(person, TransferKind.CONTACT_PERSON, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        body = sent_json(http, "POST", f"/ContactPersons/{CUSTOMER_ROW['Id']}")
        assert body["ExternalCode"] == f"LB-CP-{person.pk}"
        assert body["LastName"] == person.last_name
        assert sent_requests(http, "POST", "/Customers")


class TestSuppliers:
    def test_supplier_without_organization_number_is_skipped_with_the_reason(
        self, connection, http, run
    ):
        supplier = SupplierFactory(client=connection.client, organization_number="")

        transfer = run(supplier, TransferKind.SUPPLIER, connection)

        assert transfer.status == TransferStatus.SKIPPED
        assert "has no organization number" in transfer.result["message"] or any(
            "has no organization number" in str(step) for step in transfer.attempts.last().steps
        )
        assert len([c for c in http.calls if "/v2/" in c.request.url]) == 0

    def test_new_supplier_is_created_in_the_poweroffice_group(self, connection, http, run):
        supplier = SupplierFactory(client=connection.client, number=20001, country_code="SE")
        http.add("GET", f"{API}/ContactGroups", status=204)
        http.add("POST", f"{API}/ContactGroups", json={"Id": 31, "Name": "PowerOffice"}, status=201)
        mock_new(http, "Suppliers", {"Id": 401, "Number": 20001})

        transfer = run(supplier, TransferKind.SUPPLIER, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        body = sent_json(http, "POST", "/Suppliers")
        assert body["ContactGroupIds"] == [31]
        assert body["OrganizationNumber"] == supplier.organization_number
        assert body["MailAddress"]["CountryCode"] == "SE"
        assert sent_json(http, "POST", "/ContactGroups") == {"Name": "PowerOffice"}

    def test_existing_supplier_is_bound_and_never_updated(self, connection, http, run):
        supplier = SupplierFactory(client=connection.client, number=20001, name="New name AS")
        http.add("GET", f"{API}/ContactGroups", json=[{"Id": 31, "Name": "PowerOffice"}])
        http.add("GET", f"{API}/Suppliers", json=[{"Id": 401, "Number": 20001, "Name": "Old"}])

        first = run(supplier, TransferKind.SUPPLIER, connection)
        supplier.name = "Renamed again AS"
        supplier.save()
        second = run(supplier, TransferKind.SUPPLIER, connection)

        assert first.status == TransferStatus.SUCCEEDED and first.external_id == "401"
        assert second.status == TransferStatus.SKIPPED
        assert not sent_requests(http, "PATCH", "/Suppliers/401")
        assert not sent_requests(http, "POST", "/Suppliers")
        assert ExternalLink.objects.get(external_id="401").object == supplier


class TestProducts:
    @pytest.mark.parametrize(
        ("vat_rate", "account_id"),
        [(Decimal("25"), 1011), (Decimal("15"), 1013), (Decimal("0"), 1012)],
    )
    def test_missing_group_is_created_and_the_sales_account_defaults_by_vat_rate(
        self, connection, http, run, vat_rate, account_id
    ):
        group = ProductGroupFactory(client=connection.client, number=7)
        unit = UnitFactory(client=connection.client, code="h", name="Hours")
        product = ProductFactory(
            client=connection.client, code="SHELF", group=group, unit=unit, vat_rate=vat_rate,
            type="service",
        )  # fmt: skip
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
        mock_new(http, "ProductGroups", {"Id": 71, "Code": "7"})
        mock_new(http, "Products", {"Id": 81, "Code": "SHELF"}, status=200)

        transfer = run(product, TransferKind.PRODUCT, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert sent_json(http, "POST", "/ProductGroups")["Code"] == "7"
        body = sent_json(http, "POST", "/Products")
        assert body["ProductGroupId"] == 71
        assert body["StandardSalesAccountId"] == account_id
        assert body["UnitOfMeasureCode"] == "HUR"
        assert body["ProductType"] == "Service"
        assert body["UnitPrice"] == 100.0 and body["UnitCost"] == 60.0

    def test_group_sales_account_wins_over_the_default(self, connection, http, run):
        account = AccountFactory(client=connection.client, number=3100)
        group = ProductGroupFactory(client=connection.client, number=8, sales_account=account)
        product = ProductFactory(client=connection.client, code="X", group=group, unit=None)
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
        mock_new(http, "ProductGroups", {"Id": 72, "Code": "8"})
        mock_new(http, "Products", {"Id": 82, "Code": "X"}, status=200)

        transfer = run(product, TransferKind.PRODUCT, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert sent_json(http, "POST", "/ProductGroups")["StandardSalesAccountId"] == 1012
        assert sent_json(http, "POST", "/Products")["StandardSalesAccountId"] == 1012

    def test_group_alternative_sales_account_goes_with_group_and_product(
        self, connection, http, run
    ):
        alternative = AccountFactory(client=connection.client, number=3030)
        group = ProductGroupFactory(client=connection.client, number=9,
                                    alternative_sales_account=alternative)  # fmt: skip
        product = ProductFactory(client=connection.client, code="ALT", group=group, unit=None)
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
        mock_new(http, "ProductGroups", {"Id": 73, "Code": "9"})
        mock_new(http, "Products", {"Id": 83, "Code": "ALT"}, status=200)

        transfer = run(product, TransferKind.PRODUCT, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert sent_json(http, "POST", "/ProductGroups")["OptionalSalesAccountId"] == 1013
        assert sent_json(http, "POST", "/Products")["OptionalSalesAccountId"] == 1013

    def test_without_a_group_alternative_3100_is_the_alternative(self, connection, http, run):
        product = ProductFactory(client=connection.client, code="STD", unit=None)
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)
        mock_new(http, "Products", {"Id": 84, "Code": "STD"}, status=200)

        transfer = run(product, TransferKind.PRODUCT, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert sent_json(http, "POST", "/Products")["OptionalSalesAccountId"] == 1012

    def test_alternative_account_missing_remotely_is_refused_naming_the_group(
        self, connection, http, run
    ):
        alternative = AccountFactory(client=connection.client, number=3600)
        group = ProductGroupFactory(client=connection.client, number=10,
                                    alternative_sales_account=alternative)  # fmt: skip
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)

        transfer = run(group, TransferKind.PRODUCT_GROUP, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "sales account 3600 does not exist in PowerOffice Go" in transfer.last_error

    def test_vat_rate_without_default_account_is_refused_naming_the_product(
        self, connection, http, run
    ):
        product = ProductFactory(client=connection.client, code="FISH", unit=None,
                                 vat_rate=Decimal("12"))  # fmt: skip
        http.add("GET", f"{API}/GeneralLedgerAccounts", json=ACCOUNTS)

        transfer = run(product, TransferKind.PRODUCT, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "Product FISH: no default sales account for 12 % VAT" in transfer.last_error
        assert not sent_requests(http, "POST", "/Products")


class TestSalesOrders:
    def make_order(self, connection, django_capture_on_commit_callbacks):
        customer = CustomerFactory(client=connection.client, number=10001)
        order = SalesOrderFactory(client=connection.client, customer=customer, lines=2)
        connection.enabled = False  # marking would queue and run it; the test drives it
        connection.save()
        order = sales_order_mark_invoiced(order=order, by=None)
        connection.enabled = True
        connection.save()
        return order

    def test_invoiced_order_becomes_a_draft_with_the_note_first(
        self, connection, http, run, django_capture_on_commit_callbacks
    ):
        order = self.make_order(connection, django_capture_on_commit_callbacks)
        series(http, "Customer")
        mock_new_customer(http)
        http.add("POST", f"{API}/SalesOrders/Complete", json={"Id": 991}, status=201)

        first = run(order, TransferKind.SALES_ORDER, connection)
        second = run(order, TransferKind.SALES_ORDER, connection)

        assert first.status == TransferStatus.SUCCEEDED, first.last_error
        assert second.status == TransferStatus.SKIPPED
        assert len(sent_requests(http, "POST", "/SalesOrders/Complete")) == 1
        body = sent_json(http, "POST", "/SalesOrders/Complete")
        assert body["SalesOrderStatus"] == "Draft"
        assert body["ImportedOrderNo"] == order.invoice_number
        assert body["ContractNo"] == str(order.number)
        assert body["CustomerReference"] == "Their buyer"
        assert body["SalesOrderLines"][0] == {
            "Description": "Deliver to the back door", "LineType": "Text", "SortOrder": 1,
        }  # fmt: skip
        line = body["SalesOrderLines"][1]
        assert (line["Quantity"], line["Allowance"], line["ProductUnitPrice"]) == (2.0, 10.0, 150.0)
        assert body["ExternalImportReference"].endswith(f"-SO-{order.number}")

    def test_a_refused_order_found_by_its_reference_is_bound(
        self, connection, http, run, django_capture_on_commit_callbacks
    ):
        order = self.make_order(connection, django_capture_on_commit_callbacks)
        series(http, "Customer")
        mock_new_customer(http)
        problem = {"title": "Bad Request", "status": 400, "detail": "Duplicate value."}
        http.add("POST", f"{API}/SalesOrders/Complete", json=problem, status=400)
        order.refresh_from_db()
        reference = order.transfer_reference
        http.add("GET", f"{API}/SalesOrders",
                 json=[{"Id": 992, "ExternalImportReference": reference}])  # fmt: skip

        transfer = run(order, TransferKind.SALES_ORDER, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == "992"
