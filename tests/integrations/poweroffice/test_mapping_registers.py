"""Issue 8 mapping: employees, contact persons, suppliers, product groups, products, sales-order
drafts and the customer delivery rule — pure functions, every payload checked against the
contract (contract.validate_request)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.errors import DataError
from integrations.poweroffice import contract, mapping
from integrations.poweroffice import mapping_registers as m
from integrations.poweroffice.client import _plain
from integrations.poweroffice.initial_sync import parse_customer, parse_product, parse_supplier
from integrations.poweroffice.sales_orders import sales_order_payload
from tests.factories import (
    AccountFactory,
    ContactPersonFactory,
    CustomerFactory,
    EmployeeFactory,
    ProductFactory,
    ProductGroupFactory,
    SalesOrderFactory,
    SupplierFactory,
    SupplierGroupFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def valid(method: str, path: str, payload) -> dict:
    body = _plain(payload)
    contract.validate_request(method, path, body)
    return body


def test_employee_payload_uses_the_external_ledger_number_and_matches_the_contract():
    employee = EmployeeFactory(number=12000, external_ledger_number=42, active=False)
    body = valid("POST", "/Employees", m.employee_payload(employee, department_id=601))
    assert (body["Number"], body["DepartmentId"], body["IsArchived"]) == (42, 601, True)


def test_department_payload_carries_the_manager_id():
    from tests.factories import DepartmentFactory

    body = valid("POST", "/Departments", mapping.department_payload(
        DepartmentFactory(code="SALG"), manager_id=501))  # fmt: skip
    assert body == {"Name": body["Name"], "Code": "SALG", "IsActive": True,
                    "ManagerEmployeeId": 501}  # fmt: skip


def test_contact_person_payload_is_keyed_by_our_external_code():
    person = ContactPersonFactory(phone="+47 900 00 000")
    body = valid("POST", "/ContactPersons/1", m.contact_person_payload(person))
    assert body["ExternalCode"] == f"LB-CP-{person.pk}"
    assert body["PhoneNumber"] == "+47 900 00 000"


class TestSupplier:
    def test_payload_has_group_org_number_address_and_currency(self):
        group = SupplierGroupFactory(name="Timber")
        supplier = SupplierFactory(
            group=group,
            currency_code="SEK",
            country_code="SE",
            city="Göteborg",
            postcode="41101",
            email="ap@s.example",
        )
        body = valid("POST", "/Suppliers", m.supplier_payload(supplier, group_id=31))
        assert body["ContactGroupIds"] == [31]
        assert (body["CurrencyCode"], body["EmailAddress"]) == ("SEK", "ap@s.example")
        assert body["MailAddress"]["CountryCode"] == "SE"
        assert m.supplier_group_name(supplier) == "Timber"

    def test_group_defaults_to_poweroffice_and_vat_zone_follows_the_country(self):
        domestic = SupplierFactory(country_code="NO")
        foreign = SupplierFactory(country_code="DK")
        assert m.supplier_group_name(domestic) == "PowerOffice"
        assert (m.supplier_vat_zone(domestic), m.supplier_vat_zone(foreign)) == (
            "domestic", "abroad")  # fmt: skip

    def test_no_organization_number_gives_the_skip_reason(self):
        supplier = SupplierFactory(number=20005, organization_number=" ")
        assert "Supplier 20005 has no organization number" in m.supplier_skip_reason(supplier)
        assert m.supplier_skip_reason(SupplierFactory()) == ""


class TestProduct:
    @pytest.mark.parametrize(("rate", "account"), [("25", 3000), ("15", 3030), ("0", 3100)])
    def test_default_sales_account_by_vat_rate(self, rate, account):
        assert m.product_sales_account(ProductFactory(vat_rate=Decimal(rate))) == account

    def test_group_account_wins_and_payload_matches_the_contract(self):
        group = ProductGroupFactory(sales_account=AccountFactory(number=3200))
        unit = UnitFactory(client=group.client, code="kg")
        product = ProductFactory(client=group.client, group=group, unit=unit, description="Oak")
        assert m.product_sales_account(product) == 3200
        body = valid("POST", "/Products", m.product_payload(
            product, group_id=71, sales_account_id=1099))  # fmt: skip
        assert (body["UnitOfMeasureCode"], body["ProductType"]) == ("KGM", "Product")
        assert body["StandardSalesAccountId"] == 1099
        valid("POST", "/ProductGroups", m.product_group_payload(group, sales_account_id=1099))

    def test_alternative_sales_account_payloads_match_the_contract(self):
        alternative = AccountFactory(number=3030)
        group = ProductGroupFactory(client=alternative.client,
                                    alternative_sales_account=alternative)  # fmt: skip
        product = ProductFactory(client=group.client, group=group, unit=None)
        ids = {3000: 1011, 3030: 1013, 3100: 1012}
        assert m.alternative_sales_account_id(product, group, ids) == 1013
        assert m.alternative_sales_account_id(product, None, ids) == 1012
        assert m.alternative_sales_account_id(product, None, {3000: 1011}) is None
        body = valid("POST", "/Products", m.product_payload(
            product, group_id=71, sales_account_id=1011, alternative_sales_account_id=1013))
        assert body["OptionalSalesAccountId"] == 1013
        body = valid("POST", "/ProductGroups", m.product_group_payload(
            group, sales_account_id=None, alternative_sales_account_id=1013))  # fmt: skip
        assert body["OptionalSalesAccountId"] == 1013

    def test_alternative_account_of_another_client_is_refused_at_save(self):
        from django.core.exceptions import ValidationError

        from accounting.services import record_save

        group = ProductGroupFactory.build(client=AccountFactory().client, number=5, name="G",
                                          alternative_sales_account=AccountFactory(number=3100))
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=group)
        assert "alternative_sales_account" in excinfo.value.message_dict

    def test_unknown_unit_is_refused_naming_the_unit(self):
        unit = UnitFactory(code="bunch", name="Bunch")
        with pytest.raises(DataError, match="Unit bunch has no external unit code"):
            m.unit_code(unit)


class TestCustomerDelivery:
    def test_email_without_any_address_goes_as_print(self):
        customer = CustomerFactory.build(invoice_delivery_method="email", email="",
                                         invoice_email="")  # fmt: skip
        assert mapping.invoice_delivery_type(customer) == "Print"

    def test_email_with_an_invoice_email_goes_by_email_and_needs_an_org_number(self):
        customer = CustomerFactory(invoice_delivery_method="email", organization_number="")
        assert mapping.invoice_delivery_type(customer) == "PdfByEmail"
        with pytest.raises(DataError, match="organization number"):
            mapping.customer_payload(customer)

    def test_payload_has_phone_discount_and_terms(self):
        customer = CustomerFactory(phone="22 00 00 00", discount_percent=Decimal("5"),
                                   payment_terms_days=30)  # fmt: skip
        body = valid("POST", "/Customers", mapping.customer_payload(customer))
        assert (body["PhoneNumber"], body["Allowance"], body["PaymentTerm"]) == (
            "22 00 00 00", 5.0, 30)  # fmt: skip


def test_sales_order_draft_payload_matches_the_contract():
    order = SalesOrderFactory(lines=1, currency_code="EUR")
    order.invoice_number = 70010
    order.transfer_reference = "LB-TESTCODE-SO-5000"
    body = valid("POST", "/SalesOrders/Complete", sales_order_payload(order, customer_id=5))
    assert (body["SalesOrderStatus"], body["CurrencyCode"]) == ("Draft", "EUR")
    assert body["PurchaseOrderReference"] == "Spring delivery"
    assert body["ExternalImportReference"] == "LB-TESTCODE-SO-5000"
    assert [line["LineType"] for line in body["SalesOrderLines"]] == ["Text", "Normal"]
    assert body["SalesOrderLines"][1]["ProductCode"] == order.lines.get().product.code


def test_parsed_registers_map_the_poweroffice_fields():
    customer = parse_customer(
        {
            "Id": 1,
            "Number": 10007,
            "Name": "Fjord AS",
            "InvoiceDeliveryType": "PdfByEmail",
            "InvoiceEmailAddress": "f@x.example",
            "Allowance": 2.5,
            "PaymentTerm": 20,
            "MailAddress": {"CountryCode": "SE"},
        }
    )
    assert (customer["invoice_delivery_method"], customer["discount_percent"]) == (
        "email",
        Decimal("2.5"),
    )
    assert (customer["payment_terms_days"], customer["country_code"]) == (20, "SE")
    supplier = parse_supplier({"Id": 2, "Number": 20001, "CurrencyCode": "EUR"})
    assert (supplier["currency_code"], supplier["name"]) == ("EUR", "20001")
    product = parse_product({"Id": 3, "Code": "A1", "ProductType": "Service", "UnitPrice": 9.5})
    assert (product["type"], product["sales_price"]) == ("service", Decimal("9.50"))
