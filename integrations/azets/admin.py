"""Admin for Azets: the settings inline on the Connection form, and the Visma Business file
download (see visma_admin.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounting.models import Customer, Project
from integrations.errors import DataError
from integrations.models import Connection, System

from .models import INTEGER_ORG_UNITS, AzetsSettings
from .services import visma_file_for


class AzetsSettingsForm(forms.ModelForm):
    project_states = forms.MultipleChoiceField(
        label=_("project states for export"), required=False, choices=Project.State.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=AzetsSettings._meta.get_field("project_states").help_text,
    )
    customer_states = forms.MultipleChoiceField(
        label=_("customer states for export"), required=False, choices=Customer.State.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=AzetsSettings._meta.get_field("customer_states").help_text,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Billability is read from a numeric unit: offer units 1-6 only (the seed's rule).
        field = self.fields.get("billability_dimension")
        if field is not None:
            field.choices = [(value, label) for value, label in field.choices
                             if value in ("", None) or int(value) in INTEGER_ORG_UNITS]

    class Meta:
        model = AzetsSettings
        fields = [
            "source_client_id", "parent_client_id", "export_customers", "customer_states",
            "export_projects", "project_states", "export_invoices", "project_dimension",
            "department_dimension", "accrual_enabled", "accrual_debit_account",
            "accrual_credit_account", "import_expenses", "expense_activity_name", "report_name",
            "billability_dimension",
        ]

    def clean_source_client_id(self):
        return self.cleaned_data["source_client_id"].strip()

    def clean_parent_client_id(self):
        return self.cleaned_data["parent_client_id"].strip()


class AzetsSettingsAddForm(AzetsSettingsForm):
    """The settings page's own Add form: the settings belong to a connection, so the user picks
    one of the Azets connections that has no settings yet (the inline on the Connection page
    sets it by itself)."""

    class Meta(AzetsSettingsForm.Meta):
        fields = ["connection", *AzetsSettingsForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("connection")
        if field is not None:
            field.queryset = (
                Connection.objects.filter(system=System.AZETS, azets_settings__isnull=True)
                .select_related("client").order_by("client__name")
            )
            field.help_text = _("The client's Azets connection. Only Azets connections without "
                                "settings are offered; add the connection first under "
                                "Connections.")


class AzetsSettingsInline(admin.StackedInline):
    model = AzetsSettings
    form = AzetsSettingsForm
    can_delete = False
    min_num = 1
    max_num = 1
    readonly_fields = ["warnings"]
    fieldsets = [
        (_("Azets client"), {"fields": ["source_client_id", "parent_client_id"]}),
        (_("Export"), {"fields": [
            "export_customers", "customer_states", "export_projects", "project_states",
            "export_invoices", "project_dimension", "department_dimension",
        ]}),
        (_("Accrual"), {"fields": [
            "accrual_enabled", "accrual_debit_account", "accrual_credit_account",
        ]}),
        (_("Expense import"), {"fields": [
            "import_expenses", "expense_activity_name", "report_name", "billability_dimension",
            "warnings",
        ]}),
    ]

    @admin.display(description=_("warnings"))
    def warnings(self, obj):
        return " ".join(obj.configuration_warnings()) if obj and obj.pk else "—"


class VismaFileForm(forms.Form):
    settings = forms.ModelChoiceField(
        label=_("client"), queryset=AzetsSettings.objects.select_related("connection__client"),
        help_text=_("The client whose Azets office imports files."),
    )
    date_from = forms.DateField(label=_("from"), help_text=_("First invoice date (YYYY-MM-DD)."))
    date_to = forms.DateField(label=_("to"), help_text=_("Last invoice date (YYYY-MM-DD)."))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The first date is after the last date."))
        return data


@admin.register(AzetsSettings)
class AzetsSettingsAdmin(admin.ModelAdmin):
    """The settings of every Azets connection at a glance, and the Visma Business file."""

    form = AzetsSettingsForm
    list_display = ["connection", "source_client_id", "parent_client_id", "export_customers",
                    "export_projects", "export_invoices", "import_expenses", "accrual_enabled"]
    list_filter = ["export_invoices", "import_expenses", "accrual_enabled", "connection__mode"]
    search_fields = ["connection__client__name", "=source_client_id", "=parent_client_id"]
    list_select_related = ["connection__client"]
    change_list_template = "admin/azets/azetssettings/change_list.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Adding: the connection is chosen here; changing: it is fixed (shown read-only).
        if obj is None:
            kwargs["form"] = AzetsSettingsAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["connection"] if obj is not None else []

    def get_urls(self):
        view = self.admin_site.admin_view(self.visma_file_view)
        return [path("visma-file/", view, name="azets_visma_file"), *super().get_urls()]

    def visma_file_view(self, request):
        if not (self.has_view_permission(request)
                and request.user.has_perm("accounting.view_invoice")):
            raise PermissionDenied
        form = VismaFileForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                name, text = visma_file_for(**form.cleaned_data)
            except DataError as err:
                self.message_user(request, err.message, messages.ERROR)
            else:
                response = HttpResponse(text.encode("cp1252", errors="replace"),
                                        content_type="text/plain; charset=windows-1252")
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": gettext("Visma Business batch file")}
        return TemplateResponse(request, "admin/azets/visma_file.html", context)
