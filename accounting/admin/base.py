"""Shared admin pieces: client-owned lists, saving through the services, import/export."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from accounting.exceptions import errors_to_text
from accounting.imports import EXPORT_FORMATS, IMPORT_FORMATS
from accounting.money import money_display
from accounting.services import record_save
from config.admin import ClientScopedAutocompleteMixin


def money_column(model, field_name: str):
    """A ModelAdmin method for a list or read-only column showing `model.field_name` as every
    amount is shown (accounting.money.money_display: two decimals, the language's separators,
    the sign once), headed and sorted like the field itself. Assign it to a class attribute and
    name that attribute in list_display / readonly_fields."""
    field = model._meta.get_field(field_name)

    @admin.display(description=field.verbose_name, ordering=field_name)
    def column(model_admin, obj):
        return money_display(getattr(obj, field_name))

    column.__name__ = f"{field_name}_display"
    return column


class LockedRecordMixin:
    """An admin for records that become fixed once sent on (a finalized invoice, an invoiced
    order, a POS sale in PowerOffice Go): change and delete are refused when `is_locked(obj)`.
    On an inline, `obj` is the parent, so its rows cannot be added, changed or deleted either."""

    @staticmethod
    def is_locked(obj) -> bool:
        raise NotImplementedError

    def _locked(self, obj) -> bool:
        return obj is not None and self.is_locked(obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class LockedInlineMixin(LockedRecordMixin):
    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)


class ClientFromParentFormSet(BaseInlineFormSet):
    """Inline rows belong to their parent's client; set it before the rows are validated, so
    cross-client references are reported on the row instead of failing at save time."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if hasattr(form.instance, "client_id") and getattr(self.instance, "client_id", None):
            form.instance.client_id = self.instance.client_id
        return form


class ClientOwnedInline(ClientScopedAutocompleteMixin, admin.TabularInline):
    formset = ClientFromParentFormSet
    exclude = ("client",)
    extra = 0


class ClientOwnedAdmin(ClientScopedAutocompleteMixin, admin.ModelAdmin):
    """A list of one kind of client-owned record. Saves go through record_save(), so a saved
    register is queued for transfer in the same transaction."""

    list_filter = ("client",)
    list_select_related = ("client",)
    autocomplete_fields = ("client",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        record_save(record=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            if hasattr(obj, "client_id") and not obj.client_id:
                obj.client_id = form.instance.client_id
            record_save(record=obj, by=request.user)
        formset.save_m2m()


class GuardedImportExportAdmin(ImportExportModelAdmin):
    """CSV/XLSX import needs add and change permission, export needs view permission.

    django-import-export allows both to every staff user unless a permission code is set, so
    an accountant (view only) could otherwise rewrite records through an import file.
    """

    formats = [CSV, XLSX]
    import_formats = IMPORT_FORMATS  # semicolon or comma CSV, UTF-8 (BOM) or Windows-1252
    export_formats = EXPORT_FORMATS  # formula-leading cells escaped

    import_template_name = "admin/accounting/import.html"  # the file's columns explained

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        resources = [resource_class() for resource_class in self.resource_classes]
        context["column_help"] = [
            (resource.get_display_name(), resource.column_help())
            for resource in resources
            if hasattr(resource, "column_help")
        ]
        return context

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class ImportExportClientOwnedAdmin(GuardedImportExportAdmin, ClientOwnedAdmin):
    """A client-owned list with guarded import and export."""


def run_for_each(modeladmin, request, queryset, service, success_message) -> None:
    """Call `service(obj)` per selected object; report successes and each refusal by name.

    `success_message(count)` gives the (plural-aware) text, with a %(count)s placeholder."""
    from django.contrib import messages

    done = 0
    for obj in queryset:
        try:
            service(obj)
        except ValidationError as error:
            modeladmin.message_user(request, errors_to_text(error), messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success_message(done) % {"count": done}, messages.SUCCESS)
