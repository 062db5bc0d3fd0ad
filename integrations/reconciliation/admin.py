"""Admin of reconciliation runs: the list, a page per run, downloads, and the start buttons.

- The run page: counts per class, each finding with links to our record and its transfer,
  CSV/XLSX download, and "Re-transfer the changed registers" (needs the re-transfer permission).
- "Reconcile now" on the client and on the connection (POST, `run_reconciliation` permission)
  queue a run of the last 40 days and redirect to the list of that connection's runs.
Runs are records of what was found: read-only, never added or edited here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from integrations.admin_readonly import ReadOnlyAdmin
from integrations.models import Connection

from .export import reconciliation_export
from .models import Finding, ReconciliationRun
from .services import reconciliation_queue, reconciliation_registers_retransfer

PAGE_SIZE = 200
RUN_PERMISSION = "integrations.run_reconciliation"


def object_admin_url(item) -> str:
    if not item.content_type_id or not item.object_id:
        return ""
    model = item.content_type.model_class()
    if model is None:
        return ""
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                       args=[item.object_id])  # fmt: skip
    except NoReverseMatch:
        return ""


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "client", "connection", "date_from", "date_to", "status",
                    "findings", "api_calls", "started_by"]  # fmt: skip
    list_filter = ["status", "connection__system", "started_at"]
    search_fields = ["client__name", "client__organization_number"]
    list_select_related = ["client", "connection__client"]
    raw_id_fields = ["client", "connection"]
    show_full_result_count = False
    change_form_template = "admin/integrations/reconciliationrun/change_form.html"

    @admin.display(description=_("needs a person"))
    def findings(self, obj):
        return obj.needs_a_person

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("<int:run_id>/download/<str:file_format>/", wrap(self.download_view),
                 name="integrations_reconciliationrun_download"),
            path("<int:run_id>/retransfer/", wrap(self.retransfer_view),
                 name="integrations_reconciliationrun_retransfer"),
            path("start/connection/<int:connection_id>/", wrap(self.start_connection_view),
                 name="integrations_reconciliationrun_start"),
            path("start/client/<int:client_id>/", wrap(self.start_client_view),
                 name="integrations_reconciliationrun_start_client"),
            *super().get_urls(),
        ]  # fmt: skip

    # -- the run page --------------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = get_object_or_404(ReconciliationRun.objects.select_related("client", "connection"),
                                pk=object_id)  # fmt: skip
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        items = run.items.select_related("content_type", "transfer").order_by(
            "finding", "number", "pk")
        finding = request.GET.get("finding", "")
        if finding:
            items = items.filter(finding=finding)
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(item, object_admin_url(item)) for item in page.object_list]
        counts = [(f.value, f.label, run.count(f.value)) for f in Finding]
        context = {
            **self.admin_site.each_context(request),
            "title": str(run), "opts": self.model._meta, "original": run, "run": run,
            "counts": counts, "rows": rows, "page": page, "finding": finding,
            "can_retransfer": request.user.has_perm("integrations.retransfer_transfer")
            and run.count(Finding.REGISTER_CHANGED) > 0,
        }  # fmt: skip
        return TemplateResponse(request, self.change_form_template, context)

    def download_view(self, request, run_id, file_format):
        run = get_object_or_404(ReconciliationRun, pk=run_id)
        if not self.has_view_permission(request, run) or file_format not in ("csv", "xlsx"):
            raise PermissionDenied
        content, content_type, filename = reconciliation_export(run=run, file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def retransfer_view(self, request, run_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = get_object_or_404(ReconciliationRun, pk=run_id)
        if not request.user.has_perm("integrations.retransfer_transfer"):
            raise PermissionDenied
        queued = reconciliation_registers_retransfer(run=run, by=request.user)
        self.message_user(request, ngettext(
            "%(count)d transfer queued: PowerOffice Go gets our numbers and names back.",
            "%(count)d transfers queued: PowerOffice Go gets our numbers and names back.",
            queued,
        ) % {"count": queued}, messages.SUCCESS)  # fmt: skip
        return HttpResponseRedirect(reverse("admin:integrations_reconciliationrun_change",
                                            args=[run.pk]))  # fmt: skip

    # -- start buttons -------------------------------------------------------------------------
    def _start(self, request, connections, back: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        started = 0
        for connection in connections:
            reconciliation_queue(connection=connection, started_by=request.user.get_username())
            started += 1
        if started:
            self.message_user(request, ngettext(
                "Reconciliation queued for %(count)d connection; its page is listed here when "
                "done.",
                "Reconciliation queued for %(count)d connections; their pages are listed here "
                "when done.",
                started,
            ) % {"count": started}, messages.SUCCESS)  # fmt: skip
        else:
            self.message_user(request, gettext("No connection to reconcile."), messages.WARNING)
        return HttpResponseRedirect(back)

    def start_connection_view(self, request, connection_id):
        connection = get_object_or_404(Connection, pk=connection_id)
        back = reverse("admin:integrations_reconciliationrun_changelist")
        return self._start(request, [connection], f"{back}?connection__id__exact={connection.pk}")

    def start_client_view(self, request, client_id):
        connections = list(Connection.objects.filter(client_id=client_id).order_by("system"))
        back = reverse("admin:integrations_reconciliationrun_changelist")
        return self._start(request, connections, f"{back}?client__id__exact={client_id}")
