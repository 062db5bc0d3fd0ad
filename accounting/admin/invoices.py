"""Invoice admin: drafts are edited here, finalizing and crediting go through the services,
and a finalized invoice (with its lines) is read-only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounting import models
from accounting.exceptions import errors_to_text
from accounting.money import money_display
from accounting.services import (
    invoice_credit,
    invoice_finalize,
    invoice_line_delete,
    invoice_line_save,
    invoice_save,
)
from config.admin import ClientScopedAutocompleteMixin

from .base import (
    ClientFromParentFormSet,
    LockedInlineMixin,
    LockedRecordMixin,
    money_column,
    run_for_each,
)


def is_finalized(invoice) -> bool:
    return invoice.is_finalized


class InvoiceLineInline(ClientScopedAutocompleteMixin, LockedInlineMixin, admin.TabularInline):
    is_locked = staticmethod(is_finalized)
    model = models.InvoiceLine
    formset = ClientFromParentFormSet
    fields = (
        "line_no", "description", "product", "account", "non_income_account_confirmed",
        "quantity", "unit_price", "discount_percent", "vat_rate", "amount_excl_vat_display",
        "vat_amount_display", "amount_incl_vat_display",
    )  # fmt: skip
    readonly_fields = ("vat_rate", "amount_excl_vat_display", "vat_amount_display",
                       "amount_incl_vat_display")
    amount_excl_vat_display = money_column(models.InvoiceLine, "amount_excl_vat")
    vat_amount_display = money_column(models.InvoiceLine, "vat_amount")
    amount_incl_vat_display = money_column(models.InvoiceLine, "amount_incl_vat")
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
        "payment_status_display", "client",
    )  # fmt: skip
    list_filter = ("client", "state", KindFilter, "payment_status", "invoice_date", "due_date")
    list_select_related = ("client", "customer", "credited_invoice")
    search_fields = ("number", "kid", "description", "customer__name", "customer__number")
    autocomplete_fields = ("client", "customer", "project", "department", "credited_invoice")
    readonly_fields = (
        "state", "totals_display", "payment_status", "amount_paid_display", "finalized_at",
        "finalized_by", "finalized_via",
    )  # fmt: skip
    amount_paid_display = money_column(models.Invoice, "amount_paid")
    date_hierarchy = "invoice_date"
    inlines = [InvoiceLineInline]
    actions = ["finalize_selected", "credit_selected"]
    show_full_result_count = False
    change_form_template = "admin/accounting/invoice/change_form.html"

    class Media:
        css = {"all": ["accounting/css/invoice_admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total=Sum("lines__amount_incl_vat"))

    @admin.display(description=_("total incl. VAT"), ordering="total")
    def total_incl_vat(self, obj):
        return money_display(obj.total)

    @admin.display(description=_("payment status"), ordering="payment_status")
    def payment_status_display(self, obj):
        # A credit note is not paid; what it credits shows on the invoice it credits.
        return "—" if obj.is_credit_note else obj.get_payment_status_display()

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

    @staticmethod
    def finalized_message(count: int) -> str:
        return ngettext(
            "%(count)s invoice finalized and queued for transfer.",
            "%(count)s invoices finalized and queued for transfer.",
            count,
        )

    @staticmethod
    def credited_message(count: int) -> str:
        return ngettext(
            "%(count)s draft credit note created; check and finalize it.",
            "%(count)s draft credit notes created; check and finalize them.",
            count,
        )

    @admin.action(description=_("Finalize selected invoices"), permissions=["change"])
    def finalize_selected(self, request, queryset):
        run_for_each(
            self, request, queryset.order_by("invoice_date", "pk"),
            lambda invoice: invoice_finalize(invoice=invoice, by=request.user),
            self.finalized_message,
        )  # fmt: skip

    @admin.action(description=_("Create credit note for selected invoices"), permissions=["add"])
    def credit_selected(self, request, queryset):
        run_for_each(
            self, request, queryset,
            lambda invoice: invoice_credit(invoice=invoice, by=request.user),
            self.credited_message,
        )  # fmt: skip

    # -- the same two operations as buttons on the invoice's own page ----------------------------
    def can_finalize(self, request, invoice) -> bool:
        """The finalize button: a draft, and the permission the list action asks for."""
        return not invoice.is_finalized and self.has_change_permission(request, invoice)

    def can_credit(self, request, invoice) -> bool:
        return (
            invoice.is_finalized
            and not invoice.is_credit_note
            and self.has_add_permission(request)
        )

    def get_urls(self):
        return [
            path("<path:object_id>/finalize/", self.admin_site.admin_view(self.finalize_view),
                 name="accounting_invoice_finalize"),
            path("<path:object_id>/credit/", self.admin_site.admin_view(self.credit_view),
                 name="accounting_invoice_credit"),
            *super().get_urls(),
        ]  # fmt: skip

    def _button_view(self, request, object_id, allowed, service):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        invoice = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not allowed(request, invoice):
            raise PermissionDenied
        try:
            result = service(invoice)
        except ValidationError as error:
            self.message_user(request, errors_to_text(error), messages.ERROR)
            result = invoice
        return HttpResponseRedirect(
            reverse("admin:accounting_invoice_change", args=[result.pk])
        )

    def finalize_view(self, request, object_id):
        def finalize(invoice):
            invoice_finalize(invoice=invoice, by=request.user)
            self.message_user(request, self.finalized_message(1) % {"count": 1}, messages.SUCCESS)
            return invoice

        return self._button_view(request, object_id, self.can_finalize, finalize)

    def credit_view(self, request, object_id):
        def credit(invoice):
            credit_note = invoice_credit(invoice=invoice, by=request.user)
            self.message_user(request, self.credited_message(1) % {"count": 1}, messages.SUCCESS)
            return credit_note

        return self._button_view(request, object_id, self.can_credit, credit)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["can_finalize"] = self.can_finalize(request, obj)
            context["can_credit"] = self.can_credit(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)
