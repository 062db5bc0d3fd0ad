"""Sales-order admin: orders are edited while open; "Mark invoiced" numbers them and queues their
draft for the accounting system (sales_order_mark_invoiced). An invoiced order is read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounting import models
from accounting.services import sales_order_mark_invoiced
from config.admin import ClientScopedAutocompleteMixin

from .base import ClientOwnedAdmin, LockedInlineMixin, LockedRecordMixin, run_for_each


def is_invoiced(order) -> bool:
    return order.is_invoiced


class SalesOrderLineInline(ClientScopedAutocompleteMixin, LockedInlineMixin, admin.TabularInline):
    is_locked = staticmethod(is_invoiced)
    model = models.SalesOrderLine
    fields = ("line_no", "product", "description", "quantity", "unit_price", "discount_percent")
    autocomplete_fields = ("product",)
    extra = 0


@admin.register(models.SalesOrder)
class SalesOrderAdmin(LockedRecordMixin, ClientOwnedAdmin):
    is_locked = staticmethod(is_invoiced)
    list_display = (
        "number", "customer", "order_date", "state", "invoice_number", "currency_code", "client",
    )  # fmt: skip
    list_filter = ("client", "state", "order_date")
    search_fields = ("=number", "=invoice_number", "customer__name", "header")
    list_select_related = ("client", "customer")
    autocomplete_fields = ("client", "customer", "our_reference")
    readonly_fields = ("state", "invoice_number", "invoiced_at")
    date_hierarchy = "order_date"
    inlines = (SalesOrderLineInline,)
    actions = ("mark_invoiced_selected",)

    @admin.action(description=_("Mark selected orders invoiced"), permissions=["change"])
    def mark_invoiced_selected(self, request, queryset):
        run_for_each(
            self, request, queryset.order_by("order_date", "number"),
            lambda order: sales_order_mark_invoiced(order=order, by=request.user),
            lambda count: ngettext(
                "%(count)s order marked invoiced; its draft is queued for transfer.",
                "%(count)s orders marked invoiced; their drafts are queued for transfer.",
                count,
            ),
        )  # fmt: skip
