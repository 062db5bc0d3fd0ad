"""Bulk loading (CSV, XLSX) of POS sales and of the per-client POS settings (product mapping).

Sales: one row per sale; the `lines` column holds the lines as
"description|quantity|amount incl. VAT|VAT rate" separated by ";", e.g.
"Pizza|2|398.00|15; Beer|1|119.00|25". Rows are matched by (client organization number, sale
number): a sale already recorded is skipped (recording is idempotent), a new one is recorded
through pos_sale_record(). Settings rows are matched by the client and saved through
pos_settings_save(), which also updates the client's nightly schedule. A file with any bad row
saves nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from accounting.imports import ExplainedRowsMixin
from accounting.models import Customer
from accounting.resources import client_field, scoped_field

from .exceptions import PosError
from .models import PosSale, PosSettings
from .services import pos_sale_record, pos_settings_save

LINE_SEPARATOR = ";"
PART_SEPARATOR = "|"


def lines_parse(text: str) -> list[dict[str, str]]:
    """"Pizza|2|398.00|15; Beer|1|119.00|25" → line dicts for pos_sale_record()."""
    lines = []
    for index, chunk in enumerate(filter(None, (c.strip() for c in str(text or "").split(";"))), 1):
        parts = [p.strip() for p in chunk.split(PART_SEPARATOR)]
        if len(parts) != 4:
            raise PosError(
                _("line %(no)d “%(text)s” must read description|quantity|amount|VAT rate.")
                % {"no": index, "text": chunk},
                field="lines",
            )
        description, quantity, amount, rate = parts
        lines.append({"description": description, "quantity": quantity,
                      "amount_incl_vat": amount, "vat_rate": rate})
    return lines


def lines_format(sale: PosSale) -> str:
    return f"{LINE_SEPARATOR} ".join(
        PART_SEPARATOR.join([line.description, f"{line.quantity.normalize():f}",
                             f"{line.amount_incl_vat}", str(line.vat_rate)])
        for line in sale.lines.all()
    )


class _AllOrNothing(ExplainedRowsMixin, resources.ModelResource):
    class Meta:
        abstract = True
        use_transactions = True
        clean_model_instances = True
        report_skipped = False

    def import_data(self, dataset, **kwargs):
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class PosSaleResource(_AllOrNothing):
    client = client_field()
    customer = scoped_field("customer", Customer, "number")
    lines = fields.Field(column_name="lines", readonly=False)

    class Meta(_AllOrNothing.Meta):
        model = PosSale
        name = _("POS sales (one row per sale, lines in one column)")
        import_id_fields = ("client", "number")
        fields = ("client", "number", "till", "sold_at", "customer", "note", "gratuity_amount",
                  "lines", "status", "external_id")
        export_order = fields

    def dehydrate_lines(self, sale: PosSale) -> str:
        return lines_format(sale)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name != "lines":
            super().import_field(field, instance, row, is_m2m, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return bool(original and original.pk)  # already recorded: recording is idempotent

    def save_instance(self, instance, is_create, row, **kwargs):
        data = {
            "number": instance.number, "till": instance.till, "sold_at": instance.sold_at,
            "customer": instance.customer, "note": instance.note,
            "gratuity_amount": instance.gratuity_amount, "lines": lines_parse(row.get("lines")),
        }
        sale, _created = pos_sale_record(client=instance.client, data=data)
        instance.pk = sale.pk


class PosSettingsResource(_AllOrNothing):
    client = client_field()

    class Meta(_AllOrNothing.Meta):
        model = PosSettings
        name = _("POS settings (product id per VAT rate)")
        import_id_fields = ("client",)
        fields = (
            "client", "enabled", "enabled_since", "send_amounts_excluding_vat",
            "product_id_vat_0", "product_id_vat_12", "product_id_vat_15", "product_id_vat_25",
            "gratuity_product_id", "invoice_fee_product_id", "invoice_fee_amount",
            "send_to_customer", "run_days", "run_time", "invoice_payment_account",
        )  # fmt: skip
        export_order = fields

    def save_instance(self, instance, is_create, row, **kwargs):
        pos_settings_save(pos_settings=instance)
