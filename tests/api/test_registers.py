"""Registers created or updated by number go through record_save, so transfers are queued."""

from decimal import Decimal

import pytest

from accounting.models import (
    Account,
    ContactPerson,
    Customer,
    Department,
    Employee,
    Product,
    Project,
    Supplier,
)
from integrations.models import Transfer
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProductGroupFactory,
    UnitFactory,
    VatCodeFactory,
)

from .conftest import pointers, problem

pytestmark = pytest.mark.django_db


def queued(record) -> list[tuple[str, str]]:
    return list(
        Transfer.objects.filter(object_id=record.pk, kind__in=[record._meta.model_name,
                                                               "contact_person"])
        .values_list("kind", "status")
    )


class TestCustomers:
    def test_put_creates_the_customer_and_queues_its_transfer(self, api, connected):
        response = api.put("/customers/10001", {"name": "Fjord AS", "city": "Bergen"})
        assert response.status_code == 201
        assert response.json()["number"] == 10001
        customer = Customer.objects.get(client=api.client, number=10001)
        assert (customer.name, customer.city) == ("Fjord AS", "Bergen")
        assert queued(customer) == [("customer", "pending")]

    def test_put_again_updates_only_the_fields_sent(self, api):
        CustomerFactory(client=api.client, number=10001, name="Old AS", city="Oslo")
        response = api.put("/customers/10001", {"name": "New AS"})
        assert response.status_code == 200
        customer = Customer.objects.get(client=api.client, number=10001)
        assert (customer.name, customer.city) == ("New AS", "Oslo")

    def test_contact_persons_are_matched_by_email_and_added(self, api):
        customer = CustomerFactory(client=api.client, number=7)
        ContactPerson.objects.create(client=api.client, customer=customer, first_name="Ola",
                                     last_name="Old", email="ola@example.com")
        body = {"name": "Seven AS", "contact_persons": [
            {"first_name": "Ola", "last_name": "Nordmann", "email": "OLA@example.com"},
            {"first_name": "Kari", "last_name": "Nordmann"},
        ]}
        response = api.put("/customers/7", body)
        assert response.status_code == 200
        contacts = response.json()["contact_persons"]
        names = sorted((c["first_name"], c["last_name"]) for c in contacts)
        assert names == [("Kari", "Nordmann"), ("Ola", "Nordmann")]

    def test_model_rule_comes_back_on_its_field(self, api):
        response = api.put("/customers/8", {"name": "Ehf AS", "invoice_delivery_method": "ehf"})
        assert response.status_code == 422
        assert "organization number is required" in pointers(response)["#/organization_number"]
        assert not Customer.objects.filter(client=api.client, number=8).exists()

    def test_bad_contact_person_points_into_the_list_and_saves_nothing(self, api):
        body = {"name": "Nine AS", "contact_persons": [
            {"first_name": "Ok", "last_name": "Person"},
            {"first_name": "Bad", "last_name": "Mail", "email": "not-an-address"},
        ]}
        response = api.put("/customers/9", body)
        assert response.status_code == 422
        assert list(pointers(response)) == ["#/contact_persons/1/email"]
        assert not Customer.objects.filter(client=api.client, number=9).exists()
        assert not ContactPerson.objects.filter(client=api.client).exists()

    def test_missing_and_unknown_fields_are_each_listed(self, api):
        response = api.put("/customers/10", {"nmae": "Typo AS", "payment_terms_days": "soon"})
        assert response.status_code == 422
        body = problem(response)
        assert body["type"].endswith("validation-error")
        assert set(pointers(response)) == {"#/name", "#/nmae", "#/payment_terms_days"}
        assert pointers(response)["#/name"] == "This field is required."

    def test_wrong_type_of_path_number_names_the_parameter(self, api):
        response = api.put("/customers/abc", {"name": "X"})
        assert response.status_code == 422
        assert "number" in pointers(response)

    def test_list_is_paged(self, api):
        for number in range(1, 6):
            CustomerFactory(client=api.client, number=number)
        first = api.get("/customers", page_size=2).json()
        last = api.get("/customers", page_size=2, page=3).json()
        assert (first["count"], [c["number"] for c in first["items"]]) == (5, [1, 2])
        assert [c["number"] for c in last["items"]] == [5]

    def test_page_size_over_the_maximum_is_refused(self, api, settings):
        response = api.get("/customers", page_size=100000)
        assert response.status_code == 422
        assert "page_size" in pointers(response)


class TestOtherRegisters:
    def test_project_refers_to_customer_and_department_by_number_and_code(self, api, connected):
        CustomerFactory(client=api.client, number=10001)
        DepartmentFactory(client=api.client, code="D1")
        response = api.put("/projects/P-1", {"name": "Bridge", "customer_number": 10001,
                                             "department_code": "D1"})
        assert response.status_code == 201, response.content
        assert response.json()["customer_number"] == 10001
        project = Project.objects.get(client=api.client, number="P-1")
        assert (project.customer.number, project.department.code) == (10001, "D1")
        assert queued(project) == [("project", "pending")]

    def test_unknown_references_are_each_reported(self, api):
        response = api.put("/projects/P-2", {"name": "Nowhere", "customer_number": 99,
                                             "department_code": "NOPE"})
        assert response.status_code == 422
        assert set(pointers(response)) == {"#/customer_number", "#/department_code"}
        assert not Project.objects.filter(client=api.client).exists()

    def test_another_clients_customer_cannot_be_referenced(self, api, other_api):
        CustomerFactory(client=other_api.client, number=31)
        response = api.put("/projects/P-3", {"name": "Sneaky", "customer_number": 31})
        assert response.status_code == 422
        assert "#/customer_number" in pointers(response)

    def test_department_with_manager(self, api):
        EmployeeFactory(client=api.client, number=5)
        response = api.put("/departments/SALES", {"name": "Sales", "manager_number": 5})
        assert response.status_code == 201
        assert Department.objects.get(client=api.client, code="SALES").manager.number == 5

    def test_employee_in_department(self, api, connected):
        DepartmentFactory(client=api.client, code="D2")
        response = api.put("/employees/101", {"first_name": "Kari", "last_name": "Nordmann",
                                              "department_code": "D2"})
        assert response.status_code == 201
        employee = Employee.objects.get(client=api.client, number=101)
        assert employee.department.code == "D2"
        assert queued(employee) == [("employee", "pending")]

    def test_supplier_with_bad_currency_is_refused_on_its_field(self, api):
        response = api.put("/suppliers/300", {"name": "Parts AS", "currency_code": "XXQ"})
        assert response.status_code == 422
        assert "#/currency_code" in pointers(response)
        ok = api.put("/suppliers/300", {"name": "Parts AS", "currency_code": "EUR"})
        assert ok.status_code == 201
        assert Supplier.objects.get(client=api.client, number=300).currency_code == "EUR"

    def test_product_with_group_and_unit(self, api, connected):
        ProductGroupFactory(client=api.client, number=1)
        UnitFactory(client=api.client, code="pcs")
        VatCodeFactory(client=api.client)  # 25 %, the product's default rate
        body = {"name": "Bolt", "group_number": 1, "unit_code": "pcs", "sales_price": "12.50"}
        response = api.put("/products/B-1", body)
        assert response.status_code == 201
        assert response.json()["sales_price"] == "12.50"
        product = Product.objects.get(client=api.client, code="B-1")
        assert product.sales_price == Decimal("12.50")
        assert queued(product) == [("product", "pending")]

    def test_account_with_external_vat_code_and_vat_code(self, api, connected):
        VatCodeFactory(client=api.client, code="3", rate=Decimal("25.00"))
        body = {"name": "Sales", "external_vat_code": "3", "vat_code": "3"}
        response = api.put("/accounts/3000", body)
        assert response.status_code == 201
        assert response.json()["vat_rate"] == "25.00"
        account = Account.objects.get(client=api.client, number=3000)
        assert account.external_vat_code == "3"
        assert not Transfer.objects.filter(client=api.client).exists()  # accounts are not sent

    def test_account_external_vat_code_must_be_digits(self, api):
        response = api.put("/accounts/3001", {"name": "Sales", "external_vat_code": "3A"})
        assert response.status_code == 422
        assert "#/external_vat_code" in pointers(response)
