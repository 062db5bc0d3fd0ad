"""The setup checklist page of one client (/admin/accounting/client/<id>/checklist/).

Only for people who may change the client (back-office staff); accountants get 403 and no link.
The view renders `client_checklist()`; its one action (POST) creates the missing schedules
through `schedules_sync_all()`, the same idempotent sync `make run` and deploys apply.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from .checklist import client_checklist


def client_checklist_view(model_admin, request, object_id):
    client = get_object_or_404(model_admin.model, pk=object_id)
    if not model_admin.has_change_permission(request, client):
        raise PermissionDenied
    if request.method == "POST":
        from .schedules import schedules_sync_all

        report = schedules_sync_all()
        created = len(report.get("created", [])) + len(report.get("updated", []))
        text = gettext("Schedules brought in step: %(count)d created or updated.")
        model_admin.message_user(request, text % {"count": created}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:accounting_client_checklist", args=[client.pk]))
    steps = client_checklist(client=client)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Setup checklist: %(client)s") % {"client": client},
        "opts": model_admin.model._meta,
        "original": client,
        "steps": steps,
        "done": sum(1 for step in steps if step.ok),
        "red": [step for step in steps if step.red],
        "schedules_missing": any(s.key == "schedules" and s.red for s in steps),
    }
    return TemplateResponse(request, "admin/accounting/client/checklist.html", context)
