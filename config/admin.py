"""The back office's admin site: Django's, with autocompletes scoped to the record's client.

Every register and ledger record belongs to one client, and two clients usually share account
numbers, VAT codes and product names. The admin's autocomplete widgets send the client chosen on
the form (see accounting/static/accounting/js/client_scoped_autocomplete.js); the lookup then
offers only that client's records. Without a client (a new record before the client is picked)
every client's records are offered, each label naming its client.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist


def client_field_of(model):
    """The model's `client` foreign key, or None for records that belong to no client."""
    try:
        field = model._meta.get_field("client")
    except FieldDoesNotExist:
        return None
    return field if field.is_relation and field.many_to_one else None


class ClientScopedAutocompleteView(AutocompleteJsonView):
    def requested_client_id(self) -> int | None:
        value = self.request.GET.get("client", "").strip()
        return int(value) if value.isdigit() else None

    def get_queryset(self):
        queryset = super().get_queryset()
        if client_field_of(queryset.model) is None:
            return queryset
        client_id = self.requested_client_id()
        if client_id is None:
            return queryset.select_related("client")
        return queryset.filter(client_id=client_id)

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if client_field_of(type(obj)) is not None and self.requested_client_id() is None:
            result["text"] = f"{result['text']} · {obj.client}"
        return result


class ClientScopedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, sending the form's client with every lookup."""

    @property
    def media(self):
        # One list, so the merge keeps this file after Django's autocomplete.js.
        media = super().media
        return forms.Media(css=media._css,
                           js=[*media._js, "accounting/js/client_scoped_autocomplete.js"])


class ClientScopedAutocompleteMixin:
    """For a ModelAdmin or inline: its autocomplete fields offer the form's client's records."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ClientScopedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BackOfficeAdminSite(admin.AdminSite):
    # The back office has no public site: no "View site" link (it led to a 404).
    site_url = None

    def autocomplete_view(self, request):
        return ClientScopedAutocompleteView.as_view(admin_site=self)(request)


class BackOfficeAdminConfig(AdminConfig):
    default_site = "config.admin.BackOfficeAdminSite"
