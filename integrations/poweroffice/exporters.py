"""Exporters of the PowerOffice Go connector: registers (customers, projects, departments) and
vouchers (invoices, credit notes). The step order is BaseExporter's; these fill in its hooks.

Registers are matched by number or code (we are master) and updated with a JSON Patch of only
the properties that differ from what PowerOffice Go holds. Vouchers are posted once: a
deterministic ExternalImportReference makes a repeated post fail with Conflict, which is
resolved by looking the earlier voucher up (see `vouchers.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from integrations.base import BaseExporter
from integrations.links import link_for_object
from integrations.models import TransferKind

from . import mapping
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
        link = link_for_object(connection=self.connection, obj=obj)
        return int(link.external_id) if link else None


class RegisterExporter(PowerOfficeExporter):
    """Create or update one register record; subclasses name the resource and its key."""

    resource = ""  # client method suffix: create_<resource>, get_<resource>, update_<resource>
    key_field = ""  # "Number" or "Code": the natural key we are master of
    post_only: tuple[str, ...] = ()  # properties PATCH cannot change

    def __init__(self, context) -> None:
        super().__init__(context)
        self._remote: dict[str, Dto] = {}

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        raise NotImplementedError

    def check_before_write(self, obj, payload: Dto) -> None:
        """Local or cached checks before the first call that writes (DataError)."""

    def remote_seen(self, row: Dto) -> None:
        """A row PowerOffice returned (created, matched or updated)."""

    def find_existing(self, obj, payload: Dto) -> str | None:
        self.check_before_write(obj, payload)
        for row in self.list_matches(payload):
            if str(row.get(self.key_field)) == str(payload[self.key_field]):
                self._remote[str(row["Id"])] = row
                self.remote_seen(row)
                return str(row["Id"])
        return None

    def create(self, payload: Dto) -> str:
        row = getattr(self.client, f"create_{self.resource}")(payload)
        self.remote_seen(row)
        return str(row["Id"])

    def update(self, external_id: str, payload: Dto) -> str | None:
        """PATCH only what differs from the remote record (read first unless just matched)."""
        if external_id not in self._remote:
            self.check_before_write(self._obj, payload)
        remote = self._remote.pop(external_id, None) or getattr(
            self.client, f"get_{self.resource}"
        )(int(external_id))
        operations = mapping.changed_fields_patch(remote, payload, skip=self.post_only)
        if operations:
            remote = getattr(self.client, f"update_{self.resource}")(int(external_id), operations)
        changed = ", ".join(op["path"].lstrip("/") for op in operations) or _("nothing")
        self.context.record_step(
            self.kind, action="patched", external_id=external_id, detail=changed
        )
        self.remote_seen(remote or {})
        return None

    def lock(self, obj):
        self._obj = super().lock(obj)
        return self._obj


class DepartmentExporter(RegisterExporter):
    """Departments are exported as dependencies of projects and invoices (matched by code)."""

    kind = TransferKind.DEPARTMENT
    resource = "department"
    key_field = "Code"

    def build_payload(self, department) -> Dto:
        return mapping.department_payload(department)

    def list_matches(self, payload: Dto) -> Iterable[Dto]:
        return self.client.list_departments(codes=[payload["Code"]])


class CustomerExporter(RegisterExporter):
    kind = TransferKind.CUSTOMER
    resource = "customer"
    key_field = "Number"
    post_only = mapping.CUSTOMER_POST_ONLY

    def build_payload(self, customer) -> Dto:
        return mapping.customer_payload(customer)  # DataError before any call

    def check_before_write(self, customer, payload: Dto) -> None:
        series = self.lookups.customer_series()
        if not mapping.number_in_series(payload["Number"], series):
            raise mapping.number_series_error(customer, payload["Number"], series)

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
