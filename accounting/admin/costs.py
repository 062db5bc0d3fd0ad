"""Admin for imported expenses and payments. Payments are read-only; on expenses only the
billable flag, project activity and account may be corrected."""

from django.contrib import admin

from accounting import models

from .base import ClientOwnedAdmin, money_column


class ExpenseAttachmentInline(admin.TabularInline):
    model = models.ExpenseAttachment
    extra = 0


@admin.register(models.Expense)
class ExpenseAdmin(ClientOwnedAdmin):
    list_display = (
        "invoice_date",
        "supplier_name",
        "description",
        "amount_incl_vat_display",
        "project",
        "billable",
        "client",
    )
    list_filter = ("client", "billable", "source_system", "invoice_date")
    list_select_related = ("client", "project")
    search_fields = ("external_reference", "description", "supplier_name", "project__number")
    autocomplete_fields = ("client", "project", "activity", "account")
    readonly_fields = ("source_system", "external_reference")
    date_hierarchy = "invoice_date"
    inlines = [ExpenseAttachmentInline]
    amount_incl_vat_display = money_column(models.Expense, "amount_incl_vat")


@admin.register(models.Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "payment_date",
        "invoice",
        "amount_display",
        "reference",
        "external_reference",
        "client",
    )
    list_filter = ("client", "payment_date")
    list_select_related = ("client", "invoice")
    search_fields = ("external_reference", "reference", "invoice__number")
    raw_id_fields = ("invoice",)
    date_hierarchy = "payment_date"
    amount_display = money_column(models.Payment, "amount")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
