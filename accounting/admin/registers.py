"""Admin for the client, the account plan and the registers."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounting import models
from accounting.resources import (
    AccountResource,
    CustomerResource,
    ProductResource,
    ProjectResource,
    VatCodeResource,
)
from accounting.services import client_create, record_save
from config.admin import ClientScopedAutocompleteMixin

from .base import (
    ClientOwnedAdmin,
    ClientOwnedInline,
    ImportExportClientOwnedAdmin,
    money_column,
)


@admin.register(models.Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "organization_number", "active", "accounts_missing_vat_code")
    list_filter = ("active",)
    search_fields = ("name", "organization_number")

    def save_model(self, request, obj, form, change):
        # A new client starts with the standard VAT codes (one service for admin and demo).
        if change:
            record_save(record=obj, by=request.user)
        else:
            client_create(client=obj, by=request.user)

    def get_queryset(self, request):
        missing = (
            models.Account.objects.filter(client=OuterRef("pk"), external_vat_code="")
            .values("client")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super().get_queryset(request).annotate(missing_vat_codes=Coalesce(Subquery(missing), 0))
        )

    @admin.display(
        description=_("accounts without external VAT code"), ordering="missing_vat_codes"
    )
    def accounts_missing_vat_code(self, obj):
        return obj.missing_vat_codes

    def get_list_display(self, request):
        # The setup checklist is for those who set clients up (accountants see no link).
        if self.has_change_permission(request):
            return (*self.list_display, "checklist_link")
        return self.list_display

    @admin.display(description=_("setup"))
    def checklist_link(self, obj):
        url = reverse("admin:accounting_client_checklist", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Setup checklist"))

    def get_urls(self):
        # The page lives in integrations (it reads connections); routed here, under the client.
        def view(request, object_id):
            from integrations.admin_checklist import client_checklist_view

            return client_checklist_view(self, request, object_id)

        return [
            path("<path:object_id>/checklist/", self.admin_site.admin_view(view),
                 name="accounting_client_checklist"),
            *super().get_urls(),
        ]  # fmt: skip


@admin.register(models.VatCode)
class VatCodeAdmin(ImportExportClientOwnedAdmin):
    resource_classes = [VatCodeResource]
    list_display = ("code", "name", "rate", "client")
    list_filter = ("client",)
    search_fields = ("code", "name")


class ExternalVatCodeFilter(admin.SimpleListFilter):
    title = _("external VAT code")
    parameter_name = "external_vat_code"

    def lookups(self, request, model_admin):
        return [("missing", _("Missing")), ("set", _("Set"))]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(external_vat_code="")
        if self.value() == "set":
            return queryset.exclude(external_vat_code="")
        return queryset


@admin.register(models.Account)
class AccountAdmin(ImportExportClientOwnedAdmin):
    resource_classes = [AccountResource]
    list_display = ("number", "name", "external_vat_code", "vat_code", "active", "client")
    list_filter = ("client", ExternalVatCodeFilter, "active")
    list_select_related = ("client", "vat_code")
    search_fields = ("number", "name")
    autocomplete_fields = ("client", "vat_code")


@admin.register(models.Department)
class DepartmentAdmin(ClientOwnedAdmin):
    list_display = ("code", "name", "manager", "active", "client")
    list_filter = ("client", "active")
    list_select_related = ("client", "manager")
    search_fields = ("code", "name")
    autocomplete_fields = ("client", "manager")


@admin.register(models.Employee)
class EmployeeAdmin(ClientOwnedAdmin):
    list_display = ("number", "first_name", "last_name", "email", "department", "client")
    list_filter = ("client", "active", "department")
    list_select_related = ("client", "department")
    search_fields = ("number", "first_name", "last_name", "email")
    autocomplete_fields = ("client", "department")


class ContactPersonInline(ClientOwnedInline):
    model = models.ContactPerson


@admin.register(models.Customer)
class CustomerAdmin(ImportExportClientOwnedAdmin):
    resource_classes = [CustomerResource]
    list_display = (
        "number",
        "name",
        "organization_number",
        "city",
        "country_code",
        "state",
        "client",
    )
    list_filter = ("client", "state", "invoice_delivery_method", "country_code")
    search_fields = ("number", "name", "organization_number", "email")
    inlines = [ContactPersonInline]


@admin.register(models.ContactPerson)
class ContactPersonAdmin(ClientOwnedAdmin):
    list_display = ("first_name", "last_name", "email", "customer", "client")
    list_select_related = ("client", "customer")
    search_fields = ("first_name", "last_name", "email", "customer__name", "customer__number")
    autocomplete_fields = ("client", "customer")


@admin.register(models.Supplier)
class SupplierAdmin(ClientOwnedAdmin):
    list_display = (
        "number",
        "name",
        "organization_number",
        "country_code",
        "currency_code",
        "group",
        "transferable",
        "client",
    )
    list_filter = ("client", "group", "country_code", "currency_code")
    search_fields = ("number", "name", "organization_number")
    list_select_related = ("client", "group")
    autocomplete_fields = ("client", "group")

    @admin.display(
        boolean=True,
        description=_("transferred"),
        ordering="organization_number",
    )
    def transferable(self, obj):
        """Only suppliers with an organization number go to the accounting system (create-only;
        see the organization number's help text)."""
        return bool(obj.organization_number.strip())


@admin.register(models.SupplierGroup)
class SupplierGroupAdmin(ClientOwnedAdmin):
    list_display = ("name", "client")
    search_fields = ("name",)


class ProjectActivityInline(ClientOwnedInline):
    model = models.ProjectActivity


@admin.register(models.Project)
class ProjectAdmin(ImportExportClientOwnedAdmin):
    resource_classes = [ProjectResource]
    list_display = (
        "number",
        "name",
        "customer",
        "department",
        "state",
        "expenses_billable",
        "client",
    )
    list_filter = ("client", "state", "expenses_billable")
    list_select_related = ("client", "customer", "department")
    search_fields = ("number", "name", "customer__name", "customer__number")
    autocomplete_fields = ("client", "customer", "department")
    inlines = [ProjectActivityInline]


@admin.register(models.ProjectActivity)
class ProjectActivityAdmin(ClientOwnedAdmin):
    list_display = ("name", "project", "client")
    list_select_related = ("client", "project")
    search_fields = ("name", "project__number", "project__name")
    autocomplete_fields = ("client", "project")


@admin.register(models.Unit)
class UnitAdmin(ClientOwnedAdmin):
    list_display = ("code", "name", "client")
    search_fields = ("code", "name")


@admin.register(models.ProductGroup)
class ProductGroupAdmin(ClientOwnedAdmin):
    list_display = ("number", "name", "sales_account", "alternative_sales_account", "client")
    list_select_related = ("client", "sales_account", "alternative_sales_account")
    search_fields = ("number", "name")
    autocomplete_fields = ("client", "sales_account", "alternative_sales_account")


class ProductComponentInline(ClientScopedAutocompleteMixin, admin.TabularInline):
    model = models.ProductComponent
    fk_name = "package"
    autocomplete_fields = ("component",)
    extra = 0


@admin.register(models.Product)
class ProductAdmin(ImportExportClientOwnedAdmin):
    resource_classes = [ProductResource]
    list_display = (
        "code",
        "name",
        "group",
        "type",
        "sales_price_display",
        "vat_rate",
        "is_package",
        "client",
    )
    list_filter = ("client", "type", "is_package", "active")
    list_select_related = ("client", "group")
    search_fields = ("code", "name")
    autocomplete_fields = ("client", "group", "unit")
    inlines = [ProductComponentInline]
    sales_price_display = money_column(models.Product, "sales_price")
