"""API tokens in the admin: created (full token shown once, on the page after saving), renamed
and revoked; never deleted by staff, so the audit trail stays."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken
from .tokens import api_token_issue, api_token_revoke


class RevokedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "prefix", "is_active", "created_by", "created_at",
                    "last_used_at", "revoked_at")  # fmt: skip
    list_filter = ("client", RevokedFilter, "created_at")
    search_fields = ("name", "prefix")
    list_select_related = ("client", "created_by")
    autocomplete_fields = ("client",)
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at",
                       "revoked_by")  # fmt: skip
    actions = ["revoke_selected"]

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, obj: ApiToken) -> bool:
        return not obj.is_revoked

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a token never moves to another client
            return ("client", *self.readonly_fields)
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("client", "name")
        return ("client", "name", *self.readonly_fields)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        request._api_token_plaintext = api_token_issue(token=obj, by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the full token on this one page; it is stored nowhere and shown never again."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "token": obj,
            "plaintext": request._api_token_plaintext,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/api/apitoken/token_created.html", context)

    @admin.action(description=_("Revoke selected API tokens"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = sum(api_token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
