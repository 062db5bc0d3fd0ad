"""Admin for POS invoice sales: the settings page that walks through the setup, sales, batches."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounting.admin.base import (
    GuardedImportExportAdmin,
    LockedInlineMixin,
    LockedRecordMixin,
    money_column,
)
from config.admin import ClientScopedAutocompleteMixin
from integrations.outbox import connector_pos_products, connector_pos_settings_test

from .models import RUN_DAYS, PosBatch, PosSale, PosSaleLine, PosSettings
from .resources import PosSaleResource, PosSettingsResource
from .selectors import POS_SYSTEM, pos_connection
from .services import pos_settings_save

SETUP_STEPS = _(
    "Setup, in this order: "
    "(1) In PowerOffice Go, add the Ledgerbridge extension (Menu › Settings › Extensions › Add "
    "extension) and enter its client key on the client's PowerOffice Go connection; copy the "
    "key at once, PowerOffice Go does not show it again. "
    "(2) If it does not exist yet, create the account 19xx “Faktura kasse” (Menu › Chart of "
    "accounts › Add account) and enter its number below. "
    "(3) Create six products (Menu › Products › Add product), named as you like, e.g. "
    "“Servering i henhold til nota av 25%”: one per VAT rate 0, 12, 15 and 25 %, one for "
    "gratuity and one for the invoice fee. "
    "(4) Pick each product below from PowerOffice Go's product list, fetched through the "
    "client's connection (code, name and sales account are shown). You may also type an id: "
    "it is PowerOffice Go's internal product id, not the “Kode” column. "
    "(5) Save, then press “Test connection”: it checks the keys and every product id. "
    "(6) Choose the nightly run time after closing; the schedule is created when you save. "
    "(7) Switch the connection's endpoint mode from test to production when ready."
)
VAT_WARNING = _(
    "VAT must be reported only once. The till already reports the VAT of these sales; the "
    "invoices in PowerOffice Go must not report it again, or VAT is paid twice (for the sale "
    "and for the invoice). Set the six products' sales account to the 19xx account, which is "
    "where the POS posts its invoice payments. Talk to the client's accountant about this."
)


PRODUCT_ID_FIELDS = (
    "product_id_vat_0", "product_id_vat_12", "product_id_vat_15", "product_id_vat_25",
    "gratuity_product_id", "invoice_fee_product_id",
)  # fmt: skip
PRODUCT_LIST_ID = "pos-poweroffice-products"
PRODUCT_CACHE_SECONDS = 300


def pos_products_for(pos_settings: PosSettings, *, refresh: bool = False):
    """(products, problem): PowerOffice Go's product list for the settings' client, fetched
    through its connection and kept for a few minutes; problem says why there is none."""
    key = f"pos-products-{pos_settings.client_id}"
    cached = None if refresh else cache.get(key)
    if cached is not None:
        return cached, ""
    products, problem = connector_pos_products(system=POS_SYSTEM, pos_settings=pos_settings)
    if not problem:
        cache.set(key, products, PRODUCT_CACHE_SECONDS)
    return products, problem


class ProductIdInput(forms.NumberInput):
    """A product id box that offers PowerOffice Go's products (id, code, name, sales account)
    as suggestions; any id may still be typed."""

    def __init__(self, attrs=None):
        super().__init__({"list": PRODUCT_LIST_ID, "style": "width: 9em", **(attrs or {})})


class PosSettingsForm(forms.ModelForm):
    """The run days as a row of tick boxes (stored as cron's "mon,tue,…")."""

    run_days = forms.MultipleChoiceField(
        label=_("run on"), choices=RUN_DAYS, widget=forms.CheckboxSelectMultiple,
        initial=[day for day, _label in RUN_DAYS],
        help_text=PosSettings._meta.get_field("run_days").help_text,
    )

    class Meta:
        model = PosSettings
        fields = ["run_days"]  # the admin adds the fields of its fieldsets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("run_days"), str):
            self.initial["run_days"] = self.initial["run_days"].split(",")

    def clean_run_days(self) -> str:
        return ",".join(day for day, _label in RUN_DAYS if day in self.cleaned_data["run_days"])


@admin.register(PosSettings)
class PosSettingsAdmin(GuardedImportExportAdmin):
    form = PosSettingsForm
    resource_classes = [PosSettingsResource]
    list_display = [
        "client",
        "enabled",
        "enabled_since",
        "run_time",
        "connection_mode",
        "invoice_payment_account",
        "send_to_customer",
    ]
    list_filter = ["enabled", "send_to_customer", "send_amounts_excluding_vat"]
    search_fields = ["client__name", "client__organization_number"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]
    readonly_fields = ["vat_warning", "connection_link", "counter_posting"]
    change_form_template = "admin/pos/possettings/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": ["vat_warning", "client", "enabled", "enabled_since", "connection_link"],
                "description": SETUP_STEPS,
            },
        ),
        (
            _("Amounts"),
            {
                "fields": [
                    "send_amounts_excluding_vat",
                    "invoice_payment_account",
                    "counter_posting",
                ]
            },
        ),
        (
            _("PowerOffice Go products"),
            {
                "fields": [
                    "product_id_vat_0",
                    "product_id_vat_12",
                    "product_id_vat_15",
                    "product_id_vat_25",
                    "gratuity_product_id",
                    "invoice_fee_product_id",
                    "invoice_fee_amount",
                ]
            },
        ),
        (_("Sending"), {"fields": ["send_to_customer", "run_days", "run_time"]}),
    ]

    @admin.display(description=_("important"))
    def vat_warning(self, obj):
        return format_html('<strong style="color:#ba2121">{}</strong>', VAT_WARNING)

    @admin.display(description=_("counter-posted to"))
    def counter_posting(self, obj):
        if obj is None or not obj.invoice_payment_account:
            return gettext("No 19xx account set: enter the “Faktura kasse” account above.")
        return gettext("POS invoice payments are counter-posted to account %(account)s.") % {
            "account": obj.invoice_payment_account
        }

    @admin.display(description=_("PowerOffice Go connection (endpoint mode)"))
    def connection_link(self, obj):
        connection = pos_connection(client=obj.client) if obj and obj.client_id else None
        if connection is None:
            return gettext("None yet: add a PowerOffice Go connection for this client.")
        url = reverse("admin:integrations_connection_change", args=[connection.pk])
        return format_html(
            '<a href="{}">{} · {}</a>', url, connection, connection.get_mode_display()
        )

    @admin.display(description=_("endpoint mode"))
    def connection_mode(self, obj):
        connection = pos_connection(client=obj.client)
        return connection.get_mode_display() if connection else "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in PRODUCT_ID_FIELDS:
            kwargs["widget"] = ProductIdInput()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pos_settings = self.get_object(request, object_id)
        extra = {}
        if pos_settings is not None:
            products, problem = pos_products_for(pos_settings)
            extra = {
                "pos_products": products, "pos_products_problem": problem,
                "pos_product_list_id": PRODUCT_LIST_ID,
                "pos_products_in_use": {getattr(pos_settings, name) for name in PRODUCT_ID_FIELDS},
            }  # fmt: skip
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        pos_settings_save(pos_settings=obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.test_connection_view)
        return [
            path("<path:object_id>/test/", view, name="pos_possettings_test"),
            *super().get_urls(),
        ]

    def test_connection_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        pos_settings = get_object_or_404(PosSettings, pk=object_id)
        if not self.has_change_permission(request, pos_settings):
            raise PermissionDenied
        result = connector_pos_settings_test(system=POS_SYSTEM, pos_settings=pos_settings)
        pos_products_for(pos_settings, refresh=True)  # the list below shows what was checked
        level = messages.SUCCESS if result.ok else messages.ERROR
        lines = result.message.splitlines()
        rest = format_html_join("", "<br>{}", ((line,) for line in lines[1:]))
        self.message_user(request, format_html("{}{}", lines[0], rest), level)
        return HttpResponseRedirect(reverse("admin:pos_possettings_change", args=[object_id]))


def is_sent(sale: PosSale) -> bool:
    """A sale already in PowerOffice Go is the record of what was sent: no more edits."""
    return sale.status == PosSale.Status.SENT


class PosSaleLineInline(ClientScopedAutocompleteMixin, LockedInlineMixin, admin.TabularInline):
    is_locked = staticmethod(is_sent)
    model = PosSaleLine
    extra = 0
    fields = ["line_no", "description", "quantity", "amount_incl_vat", "vat_rate"]


@admin.register(PosSale)
class PosSaleAdmin(ClientScopedAutocompleteMixin, LockedRecordMixin, GuardedImportExportAdmin):
    is_locked = staticmethod(is_sent)
    resource_classes = [PosSaleResource]
    list_display = [
        "number",
        "client",
        "sold_at",
        "till",
        "customer",
        "gratuity_amount_display",
        "status",
        "external_id",
        "batch",
    ]
    list_filter = ["status", "client", ("sold_at", admin.DateFieldListFilter)]
    search_fields = ["=number", "customer__name", "external_id"]
    list_select_related = ["client", "customer", "batch", "batch__client"]
    autocomplete_fields = ["customer"]
    raw_id_fields = ["client", "batch"]
    readonly_fields = ["status", "external_id", "batch", "error", "sent_at"]
    date_hierarchy = "sold_at"
    inlines = [PosSaleLineInline]
    show_full_result_count = False
    gratuity_amount_display = money_column(PosSale, "gratuity_amount")


@admin.register(PosBatch)
class PosBatchAdmin(admin.ModelAdmin):
    list_display = [
        "business_date",
        "client",
        "status",
        "sales_total",
        "sales_sent",
        "sales_failed",
        "finished_at",
    ]
    list_filter = ["status", "client", ("business_date", admin.DateFieldListFilter)]
    search_fields = ["client__name", "=business_date"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]
    readonly_fields = [
        "client",
        "business_date",
        "status",
        "sales_total",
        "sales_sent",
        "sales_failed",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
