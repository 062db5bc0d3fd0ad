"""Admin pieces of the PowerOffice Go connector: the settings inline on the Connection form
(with "Import expenses now" / "Import payments now" buttons) and a settings list with the same
imports as actions. Saving the settings re-syncs the daily import schedules."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.errors import DataError
from integrations.models import TransferKind

from .models import PowerOfficeSettings

IMPORT_BUTTONS = (
    (TransferKind.EXPENSE_IMPORT, _("Import expenses now")),
    (TransferKind.PAYMENT_IMPORT, _("Import payments now")),
    (TransferKind.INITIAL_SYNC, _("Initial sync from PowerOffice Go")),
)


def _schedules_sync() -> None:
    from .schedules import import_schedules_sync

    import_schedules_sync()


class PowerOfficeSettingsFormSet(BaseInlineFormSet):
    def save(self, commit=True):
        saved = super().save(commit)
        transaction.on_commit(_schedules_sync)  # switched on/off or moved: schedules follow
        return saved


class PowerOfficeSettingsInline(admin.StackedInline):
    model = PowerOfficeSettings
    formset = PowerOfficeSettingsFormSet
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
        (
            _("Last import"),
            {"fields": ("expenses_synced_until", "payments_synced_until", "import_now")},
        ),
    )
    readonly_fields = ("expenses_synced_until", "payments_synced_until", "import_now")

    @admin.display(description=_("import now"))
    def import_now(self, obj):
        """Buttons that post the page's form (with its CSRF token) to the import view."""
        if obj is None or not obj.pk:
            return gettext("Save the connection first.")
        return format_html_join(
            " ",
            '<button type="submit" class="button" formmethod="post" formaction="{}" '
            'formnovalidate>{}</button>',
            (
                (reverse("admin:poweroffice_powerofficesettings_import", args=[obj.pk, kind]),
                 label)
                for kind, label in IMPORT_BUTTONS
            ),
        )


@admin.register(PowerOfficeSettings)
class PowerOfficeSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "connection", "client", "expense_import_enabled", "expense_import_time",
        "payment_import_enabled", "payment_import_time", "expenses_synced_until",
        "payments_synced_until",
    ]
    list_filter = ["expense_import_enabled", "payment_import_enabled", "connection__mode"]
    search_fields = ["connection__client__name", "connection__client__organization_number"]
    list_select_related = ["connection__client"]
    raw_id_fields = ["connection"]
    readonly_fields = ["expenses_synced_until", "payments_synced_until"]
    actions = ["import_expenses_now", "import_payments_now", "initial_sync_now"]

    def has_add_permission(self, request):
        return False  # created with its connection

    @admin.display(description=_("client"), ordering="connection__client__name")
    def client(self, obj):
        return obj.connection.client

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(_schedules_sync)

    @admin.action(description=_("Import expenses now"), permissions=["change"])
    def import_expenses_now(self, request, queryset):
        for row in queryset.select_related("connection__client"):
            self._enqueue(request, row, TransferKind.EXPENSE_IMPORT)

    @admin.action(description=_("Import payments now"), permissions=["change"])
    def import_payments_now(self, request, queryset):
        for row in queryset.select_related("connection__client"):
            self._enqueue(request, row, TransferKind.PAYMENT_IMPORT)

    @admin.action(
        description=_("Initial sync: read products, units, suppliers and customers"),
        permissions=["change"],
    )
    def initial_sync_now(self, request, queryset):
        for row in queryset.select_related("connection__client"):
            self._enqueue(request, row, TransferKind.INITIAL_SYNC)

    def _enqueue(self, request, row: PowerOfficeSettings, kind: str) -> None:
        from .services import poweroffice_import_enqueue

        try:
            transfer = poweroffice_import_enqueue(
                connection=row.connection, kind=kind,
                full=kind == TransferKind.EXPENSE_IMPORT,
            )
        except DataError as err:
            self.message_user(request, err.message, messages.ERROR)
            return
        url = reverse("admin:integrations_transfer_change", args=[transfer.pk])
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext("%(kind)s queued for %(client)s; its outcome is in the sync log:")
                % {"kind": transfer.get_kind_display(), "client": row.connection.client},
                url,
                gettext("transfer #%(id)s") % {"id": transfer.pk},
            ),
            messages.SUCCESS,
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [
            path("<int:pk>/import/<str:kind>/", view,
                 name="poweroffice_powerofficesettings_import"),
            *super().get_urls(),
        ]

    def import_view(self, request, pk, kind):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        row = get_object_or_404(PowerOfficeSettings.objects.select_related("connection"), pk=pk)
        if kind not in dict(IMPORT_BUTTONS) or not self.has_change_permission(request, row):
            raise PermissionDenied
        self._enqueue(request, row, kind)
        return HttpResponseRedirect(
            reverse("admin:integrations_connection_change", args=[row.connection_id])
        )
