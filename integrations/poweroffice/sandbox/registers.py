"""In-memory registers of one emulated PowerOffice Go client: contacts, projects, products...

Rules emulated: ids assigned by the server; customer/supplier/employee numbers taken from (and
checked against) the sub-ledger number series; unique numbers and codes; unique
ExternalImportReference per register; list filters for the parameters the client uses (numeric
ranges such as "10000-11000, 12000, 9-"); JSON Patch applied with `jsonpatch`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from integrations.sandbox.problems import NotEmulated, Problem

Row = dict[str, Any]


def parse_ranges(text: str) -> Callable[[Any], bool]:
    """A predicate for PowerOffice list filters: "10000-11000, 12000, 9-" (numbers or codes)."""
    tests = []
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        if dash and (low.isdigit() or not low) and (high.isdigit() or not high):
            lo = int(low) if low else None
            hi = int(high) if high else None
            tests.append(
                lambda v, lo=lo, hi=hi: (
                    str(v).isdigit()
                    and (lo is None or int(v) >= lo)
                    and (hi is None or int(v) <= hi)
                )
            )
        elif part:
            tests.append(lambda v, part=part: str(v).lower() == part.lower())
    return lambda value: value is not None and any(test(value) for test in tests)


def field_in_ranges(field_name: str, text: str) -> Callable[[Row], bool]:
    predicate = parse_ranges(text)
    return lambda row: predicate(row.get(field_name))


@dataclass
class RegisterSpec:
    name: str  # e.g. "Customers", used in messages and paths
    key_field: str | None = None  # unique number or code
    series_type: str | None = None  # numbers come from this sub-ledger number series
    filters: dict[str, str] = field(default_factory=dict)  # query param -> field (range/list)
    exact_filters: dict[str, str] = field(default_factory=dict)  # query param -> field (equal)
    defaults: dict[str, Any] = field(default_factory=dict)
    parent_field: str | None = None  # ContactPersons belong to a contact (ContactId)


SPECS = {
    spec.name: spec
    for spec in (
        RegisterSpec(
            "Customers",
            "Number",
            "Customer",
            {"customerNos": "Number"},
            {"externalImportReference": "ExternalImportReference"},
            {"IsActive": True, "IsArchived": False, "IsPerson": False},
        ),
        RegisterSpec(
            "Suppliers",
            "Number",
            "Supplier",
            {"supplierNos": "Number"},
            {"externalImportReference": "ExternalImportReference"},
            {"IsActive": True},
        ),
        RegisterSpec(
            "Employees",
            "Number",
            "Employee",
            {"employeeNos": "Number"},
            {"externalImportReference": "ExternalImportReference"},
            {"IsArchived": False},
        ),
        RegisterSpec(
            "Projects",
            "Code",
            None,
            {"projectCodes": "Code", "customerNos": "CustomerNo"},
            defaults={"IsActive": True, "ProjectStatus": "Active"},
        ),
        RegisterSpec("Departments", "Code", None, {"codes": "Code"}, defaults={"IsActive": True}),
        RegisterSpec("Products", "Code", None, {"codes": "Code"}, defaults={"IsArchived": False}),
        RegisterSpec("ProductGroups", "Code", None, {"codes": "Code"}),
        RegisterSpec("ContactGroups", "Name", None, {"names": "Name"}),
        RegisterSpec("GeneralLedgerAccounts", "AccountNo", None, {"accountNos": "AccountNo"}),
        RegisterSpec(
            "ContactPersons",
            None,
            None,
            {"contactIds": "ContactId", "externalCodes": "ExternalCode"},
            defaults={"IsActive": True},
            parent_field="ContactId",
        ),
    )
}
PAGING_PARAMS = {"pagenumber", "pagesize", "fields", "orderby", "usedatabasevalidation"}


class Register:
    """One register's rows by Id, with the numbering and uniqueness rules above."""

    def __init__(self, spec: RegisterSpec, ids: Iterable[int], series: Callable[[], list[Row]]):
        self.spec = spec
        self.rows: dict[int, Row] = {}
        self._ids = iter(ids)
        self._series = series

    # -- numbering ---------------------------------------------------------------------------
    def _series_for(self, row: Row) -> list[Row]:
        series = [
            s for s in self._series() if s["SubLedgerNumberSeriesType"] == self.spec.series_type
        ]
        wanted = row.get("SubLedgerNumberSeriesId")
        return [s for s in series if s["Id"] == wanted] if wanted else series

    def _assign_number(self, row: Row) -> None:
        spec = self.spec
        if spec.series_type:
            series = self._series_for(row)
            number = row.get(spec.key_field)
            if number is None:
                default = next((s for s in series if s["IsDefault"]), series[0] if series else None)
                if default is None:
                    raise Problem(400, "Validation failed", f"No {spec.series_type} number series.")
                used = {r.get(spec.key_field) for r in self.rows.values()}
                free = (n for n in range(default["FromInclusive"], default["ToInclusive"] + 1))
                row[spec.key_field] = next(n for n in free if n not in used)
            elif not any(s["FromInclusive"] <= number <= s["ToInclusive"] for s in series):
                raise Problem(
                    400,
                    "Validation failed",
                    f"{spec.key_field} {number} is outside every {spec.series_type} sub-ledger "
                    "number series.",
                    errors={spec.key_field: [f"{number} is outside the number series."]},
                )
        elif spec.key_field and row.get(spec.key_field) in (None, ""):
            if spec.key_field == "Code":
                row["Code"] = str(len(self.rows) + 1)

    def _check_unique(self, row: Row, row_id: int | None) -> None:
        others = [r for i, r in self.rows.items() if i != row_id]
        for name in filter(None, (self.spec.key_field, "ExternalImportReference")):
            value = row.get(name)
            if value not in (None, "") and any(r.get(name) == value for r in others):
                singular = self.spec.name.rstrip("s")
                raise Problem(
                    400,
                    "Validation failed",
                    f"{singular} with {name} {value} already exists.",
                    errors={name: [f"{value} is already in use."]},
                )

    # -- operations --------------------------------------------------------------------------
    def create(self, payload: Row, **extra: Any) -> Row:
        now = dt.datetime.now(dt.UTC).isoformat()
        row = {**self.spec.defaults, **payload, **extra}
        self._assign_number(row)
        self._check_unique(row, None)
        row["Id"] = next(self._ids)
        row["CreatedDateTimeOffset"] = row["LastChangedDateTimeOffset"] = now
        self.rows[row["Id"]] = row
        return row

    def get(self, row_id: Any) -> Row:
        try:
            return self.rows[int(row_id)]
        except (KeyError, ValueError) as err:
            raise Problem(
                404, "Object(s) not found", f"{self.spec.name} with id {row_id} was not found."
            ) from err

    def patch(self, row_id: Any, operations: list[Row], patch_spec: Row | None = None) -> Row:
        """Apply RFC 6902 operations. As on the real API, every patchable property exists (null
        when unset), so `replace` works on properties the row never had."""
        row = self.get(row_id)
        full = {name: None for name in (patch_spec or {}).get("properties", [])} | row
        for parent, names in (patch_spec or {}).get("nested_properties", {}).items():
            if any(str(op.get("path", "")).startswith(f"/{parent}/") for op in operations):
                full[parent] = {name: None for name in names} | (full.get(parent) or {})
        try:
            updated = jsonpatch.apply_patch(full, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
            raise Problem(400, "Invalid patch", str(err)) from err
        if self.spec.series_type and updated.get(self.spec.key_field) != row.get(
            self.spec.key_field
        ):
            self._assign_number(updated)
        self._check_unique(updated, row["Id"])
        updated["Id"] = row["Id"]
        updated["LastChangedDateTimeOffset"] = dt.datetime.now(dt.UTC).isoformat()
        self.rows[row["Id"]] = updated
        return updated

    def select(self, query: dict[str, str], parent: Any = None) -> list[Row]:
        tests = []
        for name, value in query.items():
            if name.lower() in PAGING_PARAMS:
                continue
            range_field = _lookup(self.spec.filters, name)
            exact_field = _lookup(self.spec.exact_filters, name)
            if range_field:
                tests.append(field_in_ranges(range_field, value))
            elif exact_field:
                tests.append(lambda r, f=exact_field, v=value: r.get(f) == v)
            else:
                raise NotEmulated(f"Filter {name} on {self.spec.name} is not emulated.")
        rows = sorted(self.rows.values(), key=lambda r: r["Id"])
        return [r for r in rows if all(test(r) for test in tests)]


def _lookup(mapping: dict[str, str], name: str) -> str | None:
    return next((v for k, v in mapping.items() if k.lower() == name.lower()), None)


def new_registers(ids: itertools.count, series: Callable[[], list[Row]]) -> dict[str, Register]:
    return {name: Register(spec, ids, series) for name, spec in SPECS.items()}
