"""Admin pieces of the PowerOffice Go connector, shown on its Connection change form."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import PowerOfficeSettings


class PowerOfficeSettingsInline(admin.StackedInline):
    model = PowerOfficeSettings
    can_delete = False
    min_num = 0
    max_num = 1
    verbose_name = _("PowerOffice Go settings")
    fieldsets = (
        (_("Invoices"), {"fields": ("voucher_route",)}),
        (
            _("Expense import"),
            {
                "fields": (
                    "expense_import_enabled",
                    "expense_import_time",
                    "expense_days_back",
                    "expense_account_from",
                )
            },
        ),
        (_("Payment import"), {"fields": ("payment_import_enabled", "payment_import_time")}),
        (_("Last import"), {"fields": ("expenses_synced_until", "payments_synced_until")}),
    )
    readonly_fields = ("expenses_synced_until", "payments_synced_until")
