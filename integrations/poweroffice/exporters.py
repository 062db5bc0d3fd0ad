"""Exporters of the PowerOffice Go connector: registers (customers, projects, departments) and
vouchers (invoices, credit notes). The step order is BaseExporter's; these fill in its hooks.

Registers are matched by number or code (we are master) and updated with a JSON Patch of only
the properties that differ from what PowerOffice Go holds, so a create whose answer was lost is
found by its number on the next attempt. Vouchers are posted once (see `vouchers.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from integrations.base import BaseExporter
from integrations.models import TransferKind

from . import mapping, mapping_registers
from .lookups import Lookups

Dto = dict[str, Any]


class PowerOfficeExporter(BaseExporter):
    """Shared helpers: cached reference data and ids of records already bound."""

    @cached_property
    def lookups(self) -> Lookups:
        return Lookups(self.client, self.connection)

    def bound_id(self, obj) -> int | None:
        """PowerOffice id of a record exported earlier on this connection (None if not bound)."""
        if obj is None:
            return None
        link = self.context.link_of(obj)
        return int(link.external_id) if link else None


class RegisterExporter(PowerOfficeExporter):
    """Create or update one register record, matched by its natural key (we are master).

    Subclasses name the resource and its key; `series_type` adds the sub-ledger number-series
    check before the first write. The remote calls default to the client's
    `create_/get_/update_<resource>` methods; override `create_remote`, `get_remote` and
    `patch_remote` for resources addressed differently (contact persons).
    """

    resource = ""  # client method suffix: create_<resource>, get_<resource>, update_<resource>
    key_field = ""  # "Number", "Code" or "ExternalCode": the natural key we are master of
    post_only: tuple[str, ...] = ()  # properties PATCH cannot change
    series_type = ""  # "Customer" / "Employee": Number must lie in such a number series

    def __init__(self, context) -> None:
        super().__init__(context)
        self._remote: dict[str, Dto] = {}

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        raise NotImplementedError

    def check_before_write(self, obj, payload: Dto) -> None:
        """Local or cached checks before the first call that writes (DataError)."""
        if self.series_type:
            series = self.lookups.number_series(self.series_type)
            if not mapping.number_in_series(payload["Number"], series):
                raise mapping.number_series_error(obj, payload["Number"], series)

    def remote_seen(self, row: Dto) -> None:
        """A row PowerOffice returned (created, matched or updated)."""

    # -- remote calls --------------------------------------------------------------------------
    def create_remote(self, payload: Dto) -> Dto:
        return getattr(self.client, f"create_{self.resource}")(payload)

    def get_remote(self, external_id: str) -> Dto:
        return getattr(self.client, f"get_{self.resource}")(int(external_id))

    def patch_remote(self, external_id: str, operations: list[Dto]) -> Dto:
        return getattr(self.client, f"update_{self.resource}")(int(external_id), operations)

    # -- BaseExporter hooks --------------------------------------------------------------------
    def find_existing(self, obj, payload: Dto) -> str | None:
        self.check_before_write(obj, payload)
        for row in self.list_matches(payload):
            if str(row.get(self.key_field)) == str(payload[self.key_field]):
                self._remote[str(row["Id"])] = row
                self.remote_seen(row)
                return str(row["Id"])
        return None

    def create(self, payload: Dto) -> str:
        row = self.create_remote(payload)
        self.remote_seen(row)
        return str(row["Id"])

    def update(self, external_id: str, payload: Dto) -> str | None:
        """PATCH only what differs from the remote record (read first unless just matched)."""
        if external_id not in self._remote:
            self.check_before_write(self._obj, payload)
        remote = self._remote.pop(external_id, None) or self.get_remote(external_id)
        operations = mapping.changed_fields_patch(remote, payload, skip=self.post_only)
        if operations:
            remote = self.patch_remote(external_id, operations)
        changed = ", ".join(op["path"].lstrip("/") for op in operations) or _("nothing")
        self.context.record_step(
            self.kind, action="patched", external_id=external_id, detail=changed
        )
        self.remote_seen(remote or {})
        return None

    def reload(self, obj):
        self._obj = super().reload(obj)
        return self._obj


class EmployeeExporter(RegisterExporter):
    """Employees by number (or external ledger number), inside the employee number series.
    The department is linked when it is in PowerOffice Go already: departments depend on their
    manager, so an employee cannot depend on its department too (that would be a cycle)."""

    kind = TransferKind.EMPLOYEE
    resource = "employee"
    key_field = "Number"
    series_type = "Employee"

    def build_payload(self, employee) -> Dto:
        return mapping_registers.employee_payload(
            employee, department_id=self.bound_id(employee.department)
        )

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_employees(numbers=[payload["Number"]])


class DepartmentExporter(RegisterExporter):
    """Departments by code, after their manager (exported first as a dependency)."""

    kind = TransferKind.DEPARTMENT
    resource = "department"
    key_field = "Code"
    dependencies = (EmployeeExporter,)

    def dependency_objects(self, department):
        return [(EmployeeExporter, department.manager)]

    def build_payload(self, department) -> Dto:
        return mapping.department_payload(department, manager_id=self.bound_id(department.manager))

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_departments(codes=[payload["Code"]])


class CustomerExporter(RegisterExporter):
    kind = TransferKind.CUSTOMER
    resource = "customer"
    key_field = "Number"
    post_only = mapping.CUSTOMER_POST_ONLY
    series_type = "Customer"

    def build_payload(self, customer) -> Dto:
        return mapping.customer_payload(customer)  # DataError before any call

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_customers(numbers=[payload["Number"]])

    def remote_seen(self, row: Dto) -> None:
        self.lookups.remember_customer(row)


class ProjectExporter(RegisterExporter):
    """Projects after their customer and department. The owner's e-mail becomes the project
    manager when an employee in PowerOffice Go has that e-mail (the API takes only an id)."""

    kind = TransferKind.PROJECT
    resource = "project"
    key_field = "Code"
    dependencies = (CustomerExporter, DepartmentExporter)

    def build_payload(self, project) -> Dto:
        return mapping.project_payload(
            project,
            customer_id=self.bound_id(project.customer),
            department_id=self.bound_id(project.department),
            manager_id=self._manager_id(project),
        )

    def _manager_id(self, project) -> int | None:
        email = (project.owner_email or "").strip().lower()
        if not email:
            return None
        manager_id = self.lookups.employee_ids_by_email().get(email)
        if manager_id is None:
            self.context.record_step(
                "project owner",
                action="skipped",
                obj=project,
                detail=_("no employee in PowerOffice Go has the e-mail %(email)s")
                % {"email": email},
            )
        return manager_id

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_projects(codes=[payload["Code"]])


class ContactPersonExporter(RegisterExporter):
    """Contact persons of a customer, after the customer; matched by our ExternalCode."""

    kind = TransferKind.CONTACT_PERSON
    resource = "contact_person"
    key_field = "ExternalCode"
    dependencies = (CustomerExporter,)

    def build_payload(self, person) -> Dto:
        return mapping_registers.contact_person_payload(person)

    def _contact_id(self) -> int:
        return self.bound_id(self._obj.customer)

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_contact_persons(
            contact_ids=[self._contact_id()], external_codes=[payload["ExternalCode"]]
        )

    def create_remote(self, payload: Dto) -> Dto:
        return self.client.create_contact_person(self._contact_id(), payload)

    def get_remote(self, external_id: str) -> Dto:
        return self.client.get_contact_person(self._contact_id(), int(external_id))

    def patch_remote(self, external_id: str, operations: list[Dto]) -> Dto:
        return self.client.update_contact_person(self._contact_id(), int(external_id), operations)


class SupplierExporter(RegisterExporter):
    """Suppliers are created, never updated (an existing one is bound as it is), and only when
    they have an organization number. The supplier group (default "PowerOffice") is a contact
    group there, created when missing."""

    kind = TransferKind.SUPPLIER
    resource = "supplier"
    key_field = "Number"
    updatable = False

    def should_skip(self, supplier) -> str:
        return mapping_registers.supplier_skip_reason(supplier) or super().should_skip(supplier)

    def build_payload(self, supplier) -> Dto:
        name = mapping_registers.supplier_group_name(supplier)
        return mapping_registers.supplier_payload(
            supplier, group_id=self.lookups.contact_group_id(name)
        )

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_suppliers(numbers=[payload["Number"]])

    def update(self, external_id: str, payload: Dto) -> str | None:
        """Only reached for a supplier that already exists there: bind it, change nothing."""
        self.context.record_step(
            self.kind,
            action="skipped",
            obj=self._obj,
            external_id=external_id,
            detail=_("already exists in PowerOffice Go; existing suppliers are never updated"),
        )
        return None


class ProductGroupExporter(RegisterExporter):
    """Product groups by code (our group number), with their sales account when they have one."""

    kind = TransferKind.PRODUCT_GROUP
    resource = "product_group"
    key_field = "Code"

    def build_payload(self, group) -> Dto:
        account_id = None
        if group.sales_account_id:
            account_id = mapping_registers.sales_account_id(
                group, group.sales_account.number, self.lookups.account_ids()
            )
        alternative_id = mapping_registers.alternative_sales_account_id(
            group, group, self.lookups.account_ids()
        )
        return mapping_registers.product_group_payload(
            group, sales_account_id=account_id, alternative_sales_account_id=alternative_id
        )

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_product_groups(codes=[payload["Code"]])


class ProductExporter(RegisterExporter):
    """Products by code, after their group (created there when missing) and, for a package,
    its components (the contract has no bill-of-materials field: see mapping_registers). The
    sales account is the group's, else the default for the product's VAT rate; the alternative
    sales account is the group's, else 3100. Never a
    dependency of invoices: products travel only through their own register transfers."""

    kind = TransferKind.PRODUCT
    resource = "product"
    key_field = "Code"

    def dependency_objects(self, product):
        pairs = [(ProductGroupExporter, product.group)]
        if product.is_package:
            components = product.component_lines.select_related("component")
            pairs += [(ProductExporter, line.component) for line in components]
        return pairs

    def build_payload(self, product) -> Dto:
        number = mapping_registers.product_sales_account(product)
        account_id = mapping_registers.sales_account_id(product, number, self.lookups.account_ids())
        alternative_id = mapping_registers.alternative_sales_account_id(
            product, product.group, self.lookups.account_ids()
        )
        return mapping_registers.product_payload(
            product, group_id=self.bound_id(product.group), sales_account_id=account_id,
            alternative_sales_account_id=alternative_id,
        )  # fmt: skip

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_products(codes=[payload["Code"]])
