"""Admin for connections (write-only secrets, Test connection) and the sync log (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import registry
from .admin_forms import CONFIRM_FIELD, ConnectionForm
from .admin_triage import SameErrorFilter, requeue_same_view, requeue_view
from .connections import connection_secrets_update, connection_test
from .engine import TransferNotAllowed, transfer_cancel, transfer_requeue
from .models import Connection, ExternalLink, Transfer, TransferAttempt, TransferStatus
from .selectors import transfers_overview
from .triage import transfer_last_attempt, transfer_triage, transfers_same_error

SECRET_PREFIX = "secret__"


def _secret_fields_for(system: str | None) -> dict[str, forms.CharField]:
    """Password inputs that never render a value back; blank keeps the stored secret."""
    connectors = (
        [registry.connector_or_none(system)] if system else list(registry.CONNECTORS.values())
    )
    fields = {}
    for connector in filter(None, connectors):
        for secret in connector.secret_fields:
            fields[SECRET_PREFIX + secret.name] = forms.CharField(
                label=secret.label,
                required=False,
                strip=True,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text=_("%(help)s Leave blank to keep the stored value.")
                % {"help": secret.help_text},
            )
    return fields


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["client", "system", "mode", "enabled", "state", "last_tested_at"]
    list_filter = ["system", "mode", "enabled", ("broken_since", admin.EmptyFieldListFilter)]
    search_fields = ["client__name", "client__organization_number"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]
    filter_horizontal = ["notify_users"]
    readonly_fields = [
        "secrets_state", "broken_since", "broken_reason", "last_tested_at", "last_test_ok",
        "last_test_result",
    ]
    change_form_template = "admin/integrations/connection/change_form.html"

    def get_fieldsets(self, request, obj=None):
        secrets = [*self._secret_names(obj), "secrets_state"]
        return [
            (None, {"fields": ["client", "system", "mode", CONFIRM_FIELD, "enabled",
                               "enabled_since"]}),
            (_("Credentials"), {"fields": secrets}),
            (_("Failure e-mails"), {"fields": ["error_recipients", "notify_users"]}),
            (_("State"), {"fields": self.readonly_fields[1:]}),
        ]

    def _secret_names(self, obj) -> list[str]:
        return list(_secret_fields_for(obj.system if obj else None))

    def get_form(self, request, obj=None, change=False, **kwargs):
        secret_fields = _secret_fields_for(obj.system if obj else None)
        kwargs["form"] = type("ConnectionForm", (ConnectionForm,), secret_fields)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "client", "system"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The add form offers every connector's secrets; keep those of the chosen system only.
        wanted = set(_secret_fields_for(obj.system))
        values = {
            name.removeprefix(SECRET_PREFIX): value
            for name, value in form.cleaned_data.items()
            if name in wanted
        }
        connection_secrets_update(connection=obj, values=values)

    def get_inline_instances(self, request, obj=None):
        connector = registry.connector_or_none(obj.system) if obj else None
        inlines = getattr(connector, "admin_inlines", ())
        extra = [inline(self.model, self.admin_site) for inline in inlines]
        return [*super().get_inline_instances(request, obj), *extra]

    @admin.display(description=_("secrets"))
    def secrets_state(self, obj):
        connector = registry.connector_or_none(obj.system) if obj and obj.pk else None
        if connector is None:
            return "—"
        stored = set(obj.secret_names_set())
        return ", ".join(
            f"{f.label}: {gettext('set') if f.name in stored else gettext('not set')}"
            for f in connector.secret_fields
        )

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.is_broken:
            when = formats.localize(timezone.localtime(obj.broken_since))
            return gettext("broken since %(when)s") % {"when": when}
        return gettext("ok") if obj.enabled else gettext("disabled")

    def get_urls(self):
        view = self.admin_site.admin_view(self.test_connection_view)
        return [
            path("<path:object_id>/test/", view, name="integrations_connection_test"),
            *super().get_urls(),
        ]

    def test_connection_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connection = get_object_or_404(Connection, pk=object_id)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        result = connection_test(connection=connection)
        level = messages.SUCCESS if result.ok else messages.ERROR
        if result.ok:
            label = gettext("Connection test passed")
        else:
            label = gettext("Connection test failed")
        self.message_user(request, f"{label}: {result.message}", level)
        return HttpResponseRedirect(
            reverse("admin:integrations_connection_change", args=[connection.pk])
        )


class TransferAttemptInline(admin.TabularInline):
    model = TransferAttempt
    extra = 0
    can_delete = False
    ordering = ["number"]
    fields = [
        "number", "started_at", "duration_ms", "outcome", "http_status", "error",
        "request_summary", "response_summary", "steps",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Attempts are part of the transfer's log: whoever may read the transfer reads them.
        return request.user.has_perm("integrations.view_transfer")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "client", "system", "kind", "object_label", "status", "attempts",
        "next_attempt_at", "external_id",
    ]
    list_filter = [
        "status", "kind", "connection__system", ("created_at", admin.DateFieldListFilter),
        ("client", admin.RelatedOnlyFieldListFilter), SameErrorFilter,
    ]
    search_fields = ["=object_number", "object_repr", "=external_id"]
    list_select_related = ["client", "connection"]
    date_hierarchy = None
    show_full_result_count = False
    inlines = [TransferAttemptInline]
    actions = ["requeue_selected", "cancel_selected"]
    exclude = ["content_type", "object_id"]
    change_list_template = "admin/integrations/transfer/change_list.html"
    change_form_template = "admin/integrations/transfer/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_retransfer_permission(self, request):
        return request.user.has_perm("integrations.retransfer_transfer")

    @admin.display(description=_("system"), ordering="connection__system")
    def system(self, obj):
        return obj.connection.get_system_display()

    @admin.display(description=_("object"), ordering="object_number")
    def object_label(self, obj):
        return obj.object_number or obj.object_repr

    @admin.action(description=_("Re-queue selected transfers"), permissions=["retransfer"])
    def requeue_selected(self, request, queryset):
        self._apply(request, queryset, transfer_requeue, gettext("%(count)d transfers re-queued."))

    @admin.action(description=_("Cancel selected transfers"), permissions=["retransfer"])
    def cancel_selected(self, request, queryset):
        self._apply(request, queryset, transfer_cancel, gettext("%(count)d transfers cancelled."))

    def _apply(self, request, queryset, service, done_message: str) -> None:
        count = 0
        for transfer in queryset:
            try:
                service(transfer=transfer, by=request.user)
                count += 1
            except TransferNotAllowed as err:
                self.message_user(request, str(err), messages.WARNING)
        self.message_user(request, done_message % {"count": count}, messages.SUCCESS)

    def get_urls(self):
        from .admin_tools import retransfer_tool_view

        view = self.admin_site.admin_view(self.overview_view)
        tool = self.admin_site.admin_view(lambda request: retransfer_tool_view(self, request))
        requeue = self.admin_site.admin_view(lambda r, object_id: requeue_view(self, r, object_id))
        same = self.admin_site.admin_view(
            lambda r, object_id: requeue_same_view(self, r, object_id)
        )
        return [
            path("<path:object_id>/requeue/", requeue, name="integrations_transfer_requeue"),
            path("<path:object_id>/requeue-same/", same, name="integrations_transfer_requeue_same"),
            path("overview/", view, name="integrations_transfer_overview"),
            path("tools/retransfer/", tool, name="integrations_retransfer_tool"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transfer = self.get_object(request, object_id)
        extra = {}
        if transfer is not None:
            attempt = transfer_last_attempt(transfer)
            triage = transfer_triage(transfer=transfer, attempt=attempt)
            extra = {
                "triage": triage,
                "last_attempt": attempt,
                "can_retransfer": self.has_retransfer_permission(request),
                "can_requeue": transfer.is_final,
                "same_error_count": transfers_same_error(transfer=transfer).count()
                if triage else 0,
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Transfers per client"),
            "opts": self.model._meta,
            "statuses": TransferStatus.labels,
            "columns": 2 * len(TransferStatus.labels) + 2,
            "rows": transfers_overview(),
        }
        return TemplateResponse(request, "admin/integrations/transfer/overview.html", context)


@admin.register(ExternalLink)
class ExternalLinkAdmin(ReadOnlyAdmin):
    list_display = ["connection", "content_type", "object_id", "external_id", "synced_at"]
    list_filter = ["connection__system", "content_type"]
    search_fields = ["=external_id"]
    list_select_related = ["connection__client", "content_type"]
    show_full_result_count = False


from .reconciliation import admin as _reconciliation_admin  # noqa: E402, F401  (registers runs)
