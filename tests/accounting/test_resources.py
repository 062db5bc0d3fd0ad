"""Bulk import/export: good files import, a file with one bad row saves nothing."""

from decimal import Decimal

import pytest
import tablib

from accounting.models import Account, Customer, Project
from accounting.resources import AccountResource, CustomerResource, ProductResource, ProjectResource
from tests.factories import (
    AccountFactory,
    ClientFactory,
    CustomerFactory,
    DepartmentFactory,
    VatCodeFactory,
)

pytestmark = pytest.mark.django_db

CUSTOMER_HEADERS = [
    "client",
    "number",
    "name",
    "country_code",
    "invoice_delivery_method",
    "payment_terms_days",
]


def customer_rows(client, *rows):
    return tablib.Dataset(
        *[[client.organization_number, *row] for row in rows], headers=CUSTOMER_HEADERS
    )


def row_errors(result):
    """{row number: [messages]} of the validation errors the admin shows."""
    return {
        invalid.number: [m for messages in invalid.error_dict.values() for m in messages]
        for invalid in result.invalid_rows
    }


class TestCustomerImport:
    def test_good_file_creates_and_updates_customers_by_client_and_number(self):
        client = ClientFactory()
        CustomerFactory(client=client, number=10001, name="Old name")
        dataset = customer_rows(
            client,
            [10001, "New name AS", "NO", "print", 14],
            [10002, "Fjord AS", "se", "print", 30],
        )
        result = CustomerResource().import_data(dataset, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        assert dict(Customer.objects.filter(client=client).values_list("number", "name")) == {
            10001: "New name AS",
            10002: "Fjord AS",
        }
        assert Customer.objects.get(client=client, number=10002).country_code == "SE"

    def test_file_with_one_bad_row_saves_nothing_and_names_the_row(self):
        client = ClientFactory()
        dataset = customer_rows(
            client, [10001, "Good AS", "NO", "print", 14], [10002, "Bad AS", "XX", "print", 14]
        )
        result = CustomerResource().import_data(dataset, dry_run=False)
        assert result.has_validation_errors()
        assert row_errors(result) == {
            2: [
                "Customer 10002: country code 'XX' is not an ISO 3166-1 alpha-2 code (e.g. NO, SE)."
            ]
        }
        assert not Customer.objects.exists()

    def test_unknown_client_is_a_row_error(self):
        dataset = tablib.Dataset(["999999999", 1, "X", "NO", "print", 14], headers=CUSTOMER_HEADERS)
        result = CustomerResource().import_data(dataset, dry_run=False)
        assert result.has_errors() or result.has_validation_errors()
        assert not Customer.objects.exists()


class TestAccountImport:
    def test_accounts_import_with_external_vat_codes_and_vat_code_of_the_same_client(self):
        client = ClientFactory()
        VatCodeFactory(client=client, code="3", rate=Decimal("25"))
        VatCodeFactory(
            client=ClientFactory(), code="3", rate=Decimal("15")
        )  # same code, other client
        dataset = tablib.Dataset(
            [client.organization_number, 3000, "Sales", "3", "3", "1"],
            [client.organization_number, 3100, "Sales, exempt", "", "", "1"],
            headers=["client", "number", "name", "external_vat_code", "vat_code", "active"],
        )
        result = AccountResource().import_data(dataset, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        account = Account.objects.get(client=client, number=3000)
        assert account.external_vat_code == "3" and account.vat_code.rate == Decimal("25.00")
        assert Account.objects.get(client=client, number=3100).external_vat_code == ""

    def test_non_numeric_external_vat_code_is_refused(self):
        client = ClientFactory()
        dataset = tablib.Dataset(
            [client.organization_number, 3000, "Sales", "3a", "", "1"],
            headers=["client", "number", "name", "external_vat_code", "vat_code", "active"],
        )
        result = AccountResource().import_data(dataset, dry_run=False)
        assert any("Use digits only." in m for m in row_errors(result)[1])
        assert not Account.objects.exists()


class TestExport:
    def test_account_export_lists_external_vat_codes(self):
        account = AccountFactory(number=3000, external_vat_code="3")
        dataset = AccountResource().export()
        assert dataset.dict[0]["client"] == account.client.organization_number
        assert (dataset.dict[0]["number"], dataset.dict[0]["external_vat_code"]) == ("3000", "3")
        assert dataset.export("xlsx")[:2] == b"PK"  # a zip container: a real XLSX file

    def test_project_round_trip_keeps_customer_and_department(self):
        customer = CustomerFactory(number=10050)
        department = DepartmentFactory(client=customer.client, code="20")
        exported = ProjectResource().export()
        assert exported.height == 0
        dataset = tablib.Dataset(
            [customer.client.organization_number, "P-7", "Roof", 10050, "20", "active", "", "yes"],
            headers=list(ProjectResource.Meta.fields),
        )
        result = ProjectResource().import_data(dataset, dry_run=False)
        assert not result.has_validation_errors() and not result.has_errors()
        project = Project.objects.get(number="P-7")
        assert (project.customer, project.department) == (customer, department)
        assert ProjectResource().export().dict[0]["customer"] == 10050

    def test_product_import_from_csv(self):
        client = ClientFactory()
        VatCodeFactory(client=client, rate=Decimal("25.00"))
        csv = (
            "client,code,name,type,sales_price,vat_rate\n"
            f"{client.organization_number},A1,Bolt,goods,12.50,25\n"
        )
        dataset = tablib.Dataset().load(csv, format="csv")
        result = ProductResource().import_data(dataset, dry_run=False)
        assert not result.has_validation_errors() and not result.has_errors()
        assert ProductResource().export().dict[0]["sales_price"] == "12.50"
