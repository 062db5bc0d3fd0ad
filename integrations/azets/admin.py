"""Admin for Azets: the settings inline on the Connection form, and the Visma Business file
download (see visma_admin.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounting.models import Customer, Project

from .models import AzetsSettings


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

    class Meta:
        model = AzetsSettings
        exclude = ["connection"]

    def clean_source_client_id(self):
        return self.cleaned_data["source_client_id"].strip()

    def clean_parent_client_id(self):
        return self.cleaned_data["parent_client_id"].strip()


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
