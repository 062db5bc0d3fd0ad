"""Invoice admin: drafts are edited here, finalizing and crediting go through the services,
and a finalized invoice (with its lines) is read-only."""

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounting import models
from accounting.money import money_display
from accounting.services import (
    invoice_credit,
    invoice_finalize,
    invoice_line_delete,
    invoice_line_save,
    invoice_save,
)
from config.admin import ClientScopedAutocompleteMixin

from .base import ClientFromParentFormSet, LockedInlineMixin, LockedRecordMixin, run_for_each


def is_finalized(invoice) -> bool:
    return invoice.is_finalized


class InvoiceLineInline(ClientScopedAutocompleteMixin, LockedInlineMixin, admin.TabularInline):
    is_locked = staticmethod(is_finalized)
    model = models.InvoiceLine
    formset = ClientFromParentFormSet
    fields = (
        "line_no", "description", "product", "account", "non_income_account_confirmed",
        "quantity", "unit_price", "discount_percent", "vat_rate", "amount_excl_vat", "vat_amount",
        "amount_incl_vat",
    )  # fmt: skip
    readonly_fields = ("vat_rate", "amount_excl_vat", "vat_amount", "amount_incl_vat")
    autocomplete_fields = ("product", "account")
    extra = 0


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("invoice", _("Invoices")), ("credit_note", _("Credit notes"))]

    def queryset(self, request, queryset):
        if self.value() == "invoice":
            return queryset.filter(credited_invoice__isnull=True)
        if self.value() == "credit_note":
            return queryset.filter(credited_invoice__isnull=False)
        return queryset


@admin.register(models.Invoice)
class InvoiceAdmin(ClientScopedAutocompleteMixin, LockedRecordMixin, admin.ModelAdmin):
    is_locked = staticmethod(is_finalized)
    list_display = (
        "__str__", "customer", "invoice_date", "due_date", "state", "total_incl_vat",
        "payment_status", "client",
    )  # fmt: skip
    list_filter = ("client", "state", KindFilter, "payment_status", "invoice_date", "due_date")
    list_select_related = ("client", "customer", "credited_invoice")
    search_fields = ("number", "kid", "description", "customer__name", "customer__number")
    autocomplete_fields = ("client", "customer", "project", "department", "credited_invoice")
    readonly_fields = (
        "state", "totals_display", "payment_status", "amount_paid", "finalized_at", "finalized_by",
        "finalized_via",
    )  # fmt: skip
    date_hierarchy = "invoice_date"
    inlines = [InvoiceLineInline]
    actions = ["finalize_selected", "credit_selected"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total=Sum("lines__amount_incl_vat"))

    @admin.display(description=_("total incl. VAT"), ordering="total")
    def total_incl_vat(self, obj):
        return money_display(obj.total)

    @admin.display(description=_("totals"))
    def totals_display(self, obj):
        totals = obj.totals
        # A credit note's VAT is negative: subtract its size rather than show "+ -".
        text = (_("%(excl)s excl. VAT + %(vat)s VAT = %(incl)s") if totals.vat_amount >= 0
                else _("%(excl)s excl. VAT − %(vat)s VAT = %(incl)s"))
        return text % {
            "excl": money_display(totals.amount_excl_vat),
            "vat": money_display(abs(totals.vat_amount)),
            "incl": money_display(totals.amount_incl_vat),
        }

    def save_model(self, request, obj, form, change):
        invoice_save(invoice=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        lines = formset.save(commit=False)
        for line in formset.deleted_objects:
            invoice_line_delete(line=line)
        for line in lines:
            line.client_id = form.instance.client_id
            invoice_line_save(line=line)

    @admin.action(description=_("Finalize selected invoices"), permissions=["change"])
    def finalize_selected(self, request, queryset):
        run_for_each(
            self, request, queryset.order_by("invoice_date", "pk"),
            lambda invoice: invoice_finalize(invoice=invoice, by=request.user),
            _("%(count)s invoice(s) finalized and queued for transfer."),
        )  # fmt: skip

    @admin.action(description=_("Create credit note for selected invoices"), permissions=["add"])
    def credit_selected(self, request, queryset):
        run_for_each(
            self, request, queryset,
            lambda invoice: invoice_credit(invoice=invoice, by=request.user),
            _("%(count)s draft credit note(s) created; check and finalize them."),
        )  # fmt: skip
