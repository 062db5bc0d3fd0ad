"""Setup > Tools: re-transfer customers, projects or invoices by number (an admin view).

Parses the form, calls `records_retransfer`, reports with messages. Needs the "Can re-queue and
cancel transfers" permission, like the sync log's re-queue action.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounting.models import Client

from .retransfer import RETRANSFER_KINDS, RetransferReport, records_retransfer

PERMISSION = "integrations.retransfer_transfer"


class RetransferForm(forms.Form):
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.filter(active=True).order_by("name")
    )
    kind = forms.ChoiceField(
        label=_("Records"),
        choices=[(key, label) for key, (_kind, label) in RETRANSFER_KINDS.items()],
    )
    numbers = forms.CharField(
        label=_("Numbers"),
        max_length=2000,
        help_text=_(
            "Customer, project or invoice numbers, separated by commas, e.g. 10023, 10024. "
            "Invoices are found among finalized invoices and credit notes."
        ),
    )


def report_messages(report: RetransferReport) -> list[tuple[int, str]]:
    """What the user is told: queued, unknown and unhandled numbers, each by name."""
    result = []
    if report.queued:
        result.append((messages.SUCCESS, gettext("Queued for transfer: %(numbers)s.")
                       % {"numbers": ", ".join(report.queued)}))  # fmt: skip
    if report.unknown:
        result.append((messages.ERROR, gettext("Unknown numbers (nothing sent): %(numbers)s.")
                       % {"numbers": ", ".join(report.unknown)}))  # fmt: skip
    if report.not_handled:
        result.append((messages.WARNING, gettext(
            "No enabled connection of this client transfers these: %(numbers)s."
        ) % {"numbers": ", ".join(report.not_handled)}))  # fmt: skip
    return result


def retransfer_tool_view(model_admin, request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = RetransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = records_retransfer(
            client=form.cleaned_data["client"],
            kind=form.cleaned_data["kind"],
            numbers=form.cleaned_data["numbers"],
            by=request.user,
        )
        for level, text in report_messages(report):
            model_admin.message_user(request, text, level)
        return HttpResponseRedirect(reverse("admin:integrations_retransfer_tool"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Tools: re-transfer customers, projects or invoices"),
        "opts": model_admin.model._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/integrations/tools/retransfer.html", context)
