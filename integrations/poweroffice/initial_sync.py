"""Initial sync: read products, units, suppliers and customers from PowerOffice Go into a client
(optional, per client; the INITIAL_SYNC transfer, `manage.py initial_sync`, the admin button).

Every register runs through BaseImporter: records are matched through their ExternalLink, else
by number/code, so a second run creates nothing twice. Records are written with full_clean()
and save(), NOT through accounting.services.record_save: an imported record must not bounce
back out as an UPSERT transfer. Its ExternalLink is bound on the connection, so a later local
change exports as an update of the same record over there.

Units: PowerOffice Go has no unit resource, only UnitOfMeasureType codes (contract gap
`units`). The units are the codes the client's products use; each keeps its code as
`Unit.external_code` (and as its code when new), with an English name. Suppliers land in the
supplier group "PowerOffice".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounting.models import Customer, Product, ProductGroup, Supplier, SupplierGroup, Unit
from integrations.base import BaseImporter, ImportReport, TransferContext
from integrations.errors import DataError
from integrations.models import TransferKind

from .mapping_registers import DEFAULT_SUPPLIER_GROUP, UNIT_NAMES

Dto = dict[str, Any]
#: What can be read, in the order it is read (units before the products that use them).
REGISTERS = ("units", "products", "suppliers", "customers")
DELIVERY_METHODS = {"PdfByEmail": "email", "EHF": "ehf"}


@dataclass
class InitialSyncReport(ImportReport):
    """Totals plus counts per register: {"products": {"created": 2, ...}, ...}."""

    registers: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, report: ImportReport) -> None:
        for count in ("fetched", "created", "updated", "skipped", "failed"):
            setattr(self, count, getattr(self, count) + getattr(report, count))
        self.errors += report.errors
        self.notes += report.notes
        self.registers[name] = {
            k: getattr(report, k) for k in ("fetched", "created", "updated", "skipped", "failed")
        }


# -- pure: PowerOffice rows → our field values -----------------------------------------------------
def _address(row: Dto) -> dict[str, str]:
    mail = row.get("MailAddress") or {}
    return {
        "address_line1": mail.get("AddressLine1") or "",
        "address_line2": mail.get("AddressLine2") or "",
        "postcode": mail.get("ZipCode") or "",
        "city": mail.get("City") or "",
        "country_code": mail.get("CountryCode") or "NO",
    }


def parse_customer(row: Dto) -> Dto:
    email, invoice_email = row.get("EmailAddress") or "", row.get("InvoiceEmailAddress") or ""
    method = DELIVERY_METHODS.get(row.get("InvoiceDeliveryType") or "", "print")
    if method == "email" and not (email or invoice_email):
        method = "print"
    return {
        "number": int(row["Number"]), "name": row.get("Name") or str(row["Number"]),
        "organization_number": row.get("OrganizationNumber") or "", "email": email,
        "invoice_email": invoice_email, "phone": row.get("PhoneNumber") or "",
        "invoice_delivery_method": method,
        "discount_percent": Decimal(str(row.get("Allowance") or 0)),
        "payment_terms_days": int(row.get("PaymentTerm") or 14), **_address(row),
    }  # fmt: skip


def parse_supplier(row: Dto) -> Dto:
    return {
        "number": int(row["Number"]), "name": row.get("Name") or str(row["Number"]),
        "organization_number": row.get("OrganizationNumber") or "",
        "email": row.get("EmailAddress") or "", "currency_code": row.get("CurrencyCode") or "NOK",
        **_address(row),
    }  # fmt: skip


def parse_product(row: Dto) -> Dto:
    return {
        "code": str(row["Code"]), "name": row.get("Name") or str(row["Code"]),
        "description": row.get("Description") or "",
        "type": "service" if row.get("ProductType") == "Service" else "goods",
        "cost_price": Decimal(str(row.get("UnitCost") or 0)).quantize(Decimal("0.01")),
        "sales_price": Decimal(str(row.get("UnitPrice") or 0)).quantize(Decimal("0.01")),
        "active": not row.get("IsArchived"),
        "unit_code": row.get("UnitOfMeasureCode"), "group_code": row.get("ProductGroupCode"),
    }  # fmt: skip


# -- importers ----------------------------------------------------------------------------------
class RegisterImporter(BaseImporter):
    """Match by our natural key (`key`), write the parsed fields, never enqueue a transfer."""

    key: ClassVar[str] = "number"

    @property
    def client_record(self):
        return self.connection.client

    def external_id_of(self, item: Dto) -> str:
        return str(item["Id"])

    def match(self, item: Dto):
        return self.model.objects.filter(
            client=self.client_record, **{self.key: item[self.key]}
        ).first()

    def fields(self, item: Dto) -> Dto:
        return {k: v for k, v in item.items() if k != "Id"}

    def create(self, item: Dto):
        return self.save(self.model(client=self.client_record), item)

    def update(self, obj, item: Dto):
        return self.save(obj, item)

    def save(self, obj, item: Dto):
        for name, value in self.fields(item).items():
            setattr(obj, name, value)
        try:
            obj.full_clean()
        except ValidationError as err:
            text = "; ".join(err.messages)
            raise DataError(f"{obj.label}: {text}", record=str(obj.label)) from err
        obj.save()
        return obj


class CustomerImporter(RegisterImporter):
    kind = TransferKind.CUSTOMER
    model = Customer

    def fetch_pages(self):
        yield list(self.client.list_customers())

    def parse(self, raw: Dto) -> Dto:
        return {"Id": raw["Id"], **parse_customer(raw)}


class SupplierImporter(RegisterImporter):
    kind = TransferKind.SUPPLIER
    model = Supplier

    def fetch_pages(self):
        yield list(self.client.list_suppliers())

    def parse(self, raw: Dto) -> Dto:
        return {"Id": raw["Id"], **parse_supplier(raw)}

    def fields(self, item: Dto) -> Dto:
        group, _created = SupplierGroup.objects.get_or_create(
            client=self.client_record, name=DEFAULT_SUPPLIER_GROUP
        )
        return {**super().fields(item), "group": group}


class ProductImporter(RegisterImporter):
    kind = TransferKind.PRODUCT
    model = Product
    key = "code"

    def fetch_pages(self):
        yield list(self.client.list_products())

    def parse(self, raw: Dto) -> Dto:
        return {"Id": raw["Id"], **parse_product(raw)}

    def fields(self, item: Dto) -> Dto:
        values = {
            k: v for k, v in super().fields(item).items() if k not in ("unit_code", "group_code")
        }
        client = self.client_record
        if item["unit_code"]:
            values["unit"] = Unit.objects.filter(
                client=client, external_code=item["unit_code"]
            ).first()
        if str(item["group_code"] or "").isdigit():
            values["group"] = ProductGroup.objects.filter(
                client=client, number=int(item["group_code"])
            ).first()
        return values


class UnitImporter(RegisterImporter):
    """The unit codes the client's products use (there is no unit resource)."""

    model = Unit
    key = "code"

    def fetch_pages(self):
        codes = {row.get("UnitOfMeasureCode") for row in self.client.list_products()}
        yield [{"Id": code} for code in sorted(c for c in codes if c)]

    def parse(self, raw: Dto) -> Dto:
        return {"Id": raw["Id"], "code": raw["Id"]}

    def match(self, item: Dto):
        code = item["code"]
        return Unit.objects.filter(
            Q(external_code__iexact=code) | Q(code__iexact=code), client=self.client_record
        ).first()

    def fields(self, item: Dto) -> Dto:
        return {"external_code": item["code"]}  # the code is its id: set once, never renamed

    def create(self, item: Dto):
        unit = Unit(client=self.client_record, code=item["code"].lower(),
                    name=UNIT_NAMES.get(item["code"], item["code"]))  # fmt: skip
        return self.save(unit, item)


IMPORTERS: dict[str, type[RegisterImporter]] = {
    "units": UnitImporter,
    "products": ProductImporter,
    "suppliers": SupplierImporter,
    "customers": CustomerImporter,
}


class InitialSync:
    """The INITIAL_SYNC transfer: runs the requested registers' importers (params["what"],
    default all) and returns the totals with counts per register."""

    kind = TransferKind.INITIAL_SYNC

    def __init__(self, context: TransferContext) -> None:
        self.context = context

    def run(self) -> InitialSyncReport:
        wanted = self.context.params.get("what") or list(REGISTERS)
        report = InitialSyncReport()
        for name in REGISTERS:
            if name in wanted:
                report.add(name, IMPORTERS[name](self.context).run())
        return report
