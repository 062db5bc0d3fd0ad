"""Admin for connections (write-only secrets, Test connection) and the sync log (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import registry
from .admin_forms import CONFIRM_FIELD, ConnectionForm
from .admin_readonly import ReadOnlyAdmin
from .admin_synclog import ClientListFilter, sync_log_paginator, transfers_matching
from .admin_triage import (
    AttemptDisplay,
    SameErrorFilter,
    TransferDetailDisplay,
    requeue_same_view,
    requeue_view,
)
from .connections import connection_enable, connection_secrets_update, connection_test
from .engine import TransferNotAllowed, transfer_cancel, transfer_requeue
from .models import (
    Connection,
    ExternalLink,
    System,
    Transfer,
    TransferAttempt,
    TransferKind,
    TransferStatus,
)
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
        # Inputs that only exist on the form (new secrets, the production confirmation) would
        # read "None" on a view-only page: readers see the stored state only.
        editable = self.has_change_permission(request, obj) if obj else True
        secrets = [*(self._secret_names(obj) if editable else []), "secrets_state"]
        confirm = [CONFIRM_FIELD] if editable else []
        return [
            (None, {"fields": ["client", "system", "mode", *confirm, "enabled",
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
        if obj.enabled and "enabled" in form.changed_data:
            released = connection_enable(connection=obj)
            if released:
                self.message_user(request, ngettext(
                    "%(count)d waiting transfer released.",
                    "%(count)d waiting transfers released.", released,
                ) % {"count": released}, messages.SUCCESS)  # fmt: skip
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


class TransferAttemptInline(AttemptDisplay, admin.TabularInline):
    model = TransferAttempt
    extra = 0
    can_delete = False
    ordering = ["number"]
    fields = [
        "number", "started_at", "duration_ms", "outcome", "http_status", "error",
        "request_summary", "response_display", "steps_table",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Attempts are part of the transfer's log: whoever may read the transfer reads them.
        return request.user.has_perm("integrations.view_transfer")


#: Labels of the list's choice columns, looked up directly: Django's get_FOO_display() hashes
#: every choice of the field on each call, which adds up over a page of transfers.
_STATUS_LABELS = dict(TransferStatus.choices)
_KIND_LABELS = dict(TransferKind.choices)
_SYSTEM_LABELS = dict(System.choices)


@admin.register(Transfer)
class TransferAdmin(TransferDetailDisplay, ReadOnlyAdmin):
    list_display = [
        "created_at", "client", "system", "kind_label", "object_label", "status_label",
        "attempts", "next_attempt_at", "external_id",
    ]
    list_filter = [
        "status", "kind", "connection__system", ("created_at", admin.DateFieldListFilter),
        ("client", ClientListFilter), SameErrorFilter,
    ]
    search_fields = ["=object_number", "object_repr", "=external_id"]  # see get_search_results
    search_help_text = _(
        "Our number or the accounting system's id (exact), or words from the description."
    )
    list_select_related = ["client", "connection"]
    list_per_page = 50
    date_hierarchy = None
    # At a million transfers: no exact counts (the paginator estimates or stops counting) and
    # no facet counts per filter choice.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    inlines = [TransferAttemptInline]
    actions = ["requeue_selected", "cancel_selected"]
    exclude = ["content_type", "object_id", "error_group"]
    change_list_template = "admin/integrations/transfer/change_list.html"
    change_form_template = "admin/integrations/transfer/change_form.html"

    def get_fields(self, request, obj=None):
        fields = self.detail_fields(self.exclude)
        # "waiting: connection disabled" next to the stored status.
        at = fields.index("status") + 1 if "status" in fields else len(fields)
        return [*fields[:at], "status_label", *fields[at:]]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return sync_log_paginator(request, queryset, per_page)

    def get_search_results(self, request, queryset, search_term):
        return transfers_matching(queryset, search_term), False

    def has_retransfer_permission(self, request):
        return request.user.has_perm("integrations.retransfer_transfer")

    def action_checkbox(self, obj):
        # The form widget renders through the template engine, once per row; this is the same
        # markup without it.
        text = gettext("Select this object for an action - {}")
        label = format_html(text, self.object_label(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, obj.pk, label,
        )  # fmt: skip

    @admin.display(description=_("system"), ordering="connection__system")
    def system(self, obj):
        return _SYSTEM_LABELS.get(obj.connection.system, obj.connection.system)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        return _KIND_LABELS.get(obj.kind, obj.kind)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        """The status, and for a pending transfer why it waits ("waiting: connection
        disabled"); the connection comes with the row (list_select_related)."""
        if obj.status == TransferStatus.PENDING or obj.is_resolved_failure:
            return obj.status_text()
        return _STATUS_LABELS.get(obj.status, obj.status)

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
