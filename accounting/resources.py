"""Bulk import and export (CSV, XLSX) of the account plan, customers, projects and products.

Rows are matched by (client organization number, number). Each row is validated with the model's
full_clean() and saved through record_save(), so imported registers are transferred like edited
ones. A file with any bad row saves nothing: the whole import runs in one transaction that is
rolled back on errors and on validation errors.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from accounting.imports import ExplainedRowsMixin
from accounting.models import (
    Account,
    Client,
    Customer,
    Department,
    Product,
    ProductGroup,
    Project,
    Unit,
    VatCode,
)
from accounting.services import record_save


class ClientScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Looks a related record up among the records of the row's client only."""

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.filter(
            client__organization_number=str(row.get("client", "")).strip()
        )


def client_field() -> fields.Field:
    return fields.Field(
        attribute="client",
        column_name="client",
        widget=widgets.ForeignKeyWidget(Client, field="organization_number"),
    )


def scoped_field(attribute: str, model, lookup: str) -> fields.Field:
    return fields.Field(
        attribute=attribute,
        column_name=attribute,
        widget=ClientScopedForeignKeyWidget(model, field=lookup),
    )


class ClientOwnedResource(ExplainedRowsMixin, resources.ModelResource):
    """Base: client column (organization number), all-or-nothing import, saves via the service."""

    client = client_field()
    #: column → what to write in it, where the model field's own help does not say it.
    column_notes: dict = {}

    def column_help(self) -> list[tuple[str, str]]:
        """(column, what it holds) for each column of the file, for the import page's help."""
        notes = {"client": _("The client's organization number (9 digits)."), **self.column_notes}
        rows = []
        for field in self.get_user_visible_fields():
            model_field = self._meta.model._meta.get_field(field.attribute)
            text = notes.get(field.column_name) or model_field.help_text
            text = str(text or capfirst(model_field.verbose_name))
            if model_field.get_internal_type() == "BooleanField":
                text = _("%(text)s yes/no, ja/nei, true/false or 1/0; empty keeps the "
                         "default.") % {"text": text}
            rows.append((field.column_name, text))
        return rows

    class Meta:
        abstract = True
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
        import_id_fields = ("client", "number")

    def import_data(self, dataset, **kwargs):
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    def do_instance_save(self, instance, is_create):
        record_save(record=instance, by=getattr(self, "_import_user", None))

    def before_import(self, dataset, **kwargs):
        self._import_user = kwargs.get("user")
        return super().before_import(dataset, **kwargs)


class VatCodeResource(ClientOwnedResource):
    column_notes = {
        "code": _("The code in the accounting system (digits), e.g. 3; a client's code is "
                  "updated when it is already there."),
        "rate": _("Percentage, e.g. 25 or 11.11."),
    }

    class Meta(ClientOwnedResource.Meta):
        model = VatCode
        name = _("VAT codes")
        import_id_fields = ("client", "code")
        fields = ("client", "code", "name", "rate")
        export_order = fields


class AccountResource(ClientOwnedResource):
    vat_code = scoped_field("vat_code", VatCode, "code")
    column_notes = {
        "number": _("Account number, 4 digits (1000–9999); an existing account is updated."),
        "vat_code": _("Code of one of the client's VAT codes (a new client has the standard "
                      "Norwegian codes); may be empty when external_vat_code is given."),
        "external_vat_code": _("The account's VAT code in the accounting system; empty takes "
                               "the VAT code's, and the two must not differ."),
    }

    class Meta(ClientOwnedResource.Meta):
        model = Account
        name = _("Accounts with external VAT codes")
        fields = ("client", "number", "name", "external_vat_code", "vat_code", "active")
        export_order = fields


class CustomerResource(ClientOwnedResource):
    class Meta(ClientOwnedResource.Meta):
        model = Customer
        fields = (
            "client", "number", "name", "organization_number", "email", "invoice_email", "phone",
            "address_line1", "address_line2", "postcode", "city", "country_code",
            "invoice_delivery_method", "discount_percent", "payment_terms_days", "state",
            "external_ledger_number",
        )  # fmt: skip
        export_order = fields


class ProjectResource(ClientOwnedResource):
    customer = scoped_field("customer", Customer, "number")
    department = scoped_field("department", Department, "code")

    class Meta(ClientOwnedResource.Meta):
        model = Project
        fields = (
            "client", "number", "name", "customer", "department", "state", "owner_email",
            "expenses_billable",
        )  # fmt: skip
        export_order = fields


class ProductResource(ClientOwnedResource):
    group = scoped_field("group", ProductGroup, "number")
    unit = scoped_field("unit", Unit, "code")

    class Meta(ClientOwnedResource.Meta):
        model = Product
        import_id_fields = ("client", "code")
        fields = (
            "client", "code", "name", "description", "group", "type", "unit", "cost_price",
            "sales_price", "vat_rate", "is_package", "active",
        )  # fmt: skip
        export_order = fields
