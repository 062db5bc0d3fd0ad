"""The admin of records people read but never add, change or delete: the sync log, the external
links, reconciliation runs (written only by the engine and its services)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
