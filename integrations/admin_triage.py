"""Failure triage in the sync log: the "same error" filter and the re-queue buttons.

The change page of a failed transfer shows `transfer_triage()` (plain words, what to fix, the
last attempt's request and response) and two POST buttons, both guarded by the "Can re-queue
and cancel transfers" permission: re-queue this transfer, and re-queue every failed transfer
with the same error (after fixing a shared cause such as a missing VAT code).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .engine import TransferNotAllowed, transfer_requeue
from .models import UNRESOLVED_FAILURE, Transfer
from .triage import failure_groups, transfers_same_error


class SameErrorFilter(admin.SimpleListFilter):
    """Unresolved failures grouped by the cause of their error (largest groups first), of the
    client chosen in the client filter or of all clients. Reads the stored groups
    (`Transfer.error_group`), never the error texts of the whole log."""

    title = _("same error")
    parameter_name = "error"
    max_choices = 20

    def lookups(self, request, model_admin):
        client_id = request.GET.get("client__id__exact")
        groups = failure_groups(
            client_id=int(client_id) if (client_id or "").isdigit() else None,
            limit=self.max_choices,
        )
        return [(group.key, f"{group.summary} ({group.count})") for group in groups]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(UNRESOLVED_FAILURE, error_group=self.value())


def _guarded(model_admin, request, object_id) -> Transfer:
    if request.method != "POST":
        raise _NotPost
    if not model_admin.has_retransfer_permission(request):
        raise PermissionDenied
    return get_object_or_404(Transfer, pk=object_id)


class _NotPost(Exception):
    pass


def requeue_view(model_admin, request, object_id):
    try:
        transfer = _guarded(model_admin, request, object_id)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    try:
        transfer_requeue(transfer=transfer, by=request.user)
    except TransferNotAllowed as err:
        model_admin.message_user(request, str(err), messages.WARNING)
    else:
        model_admin.message_user(
            request, gettext("%(transfer)s re-queued.") % {"transfer": transfer.describe_object()},
            messages.SUCCESS,
        )
    return HttpResponseRedirect(reverse("admin:integrations_transfer_change", args=[object_id]))


def requeue_same_view(model_admin, request, object_id):
    try:
        transfer = _guarded(model_admin, request, object_id)
    except _NotPost:
        return HttpResponseNotAllowed(["POST"])
    count = 0
    for other in transfers_same_error(transfer=transfer).order_by("pk"):
        try:
            transfer_requeue(transfer=other, by=request.user)
            count += 1
        except TransferNotAllowed as err:
            model_admin.message_user(request, str(err), messages.WARNING)
    model_admin.message_user(request, ngettext(
        "%(count)d transfer with this error re-queued.",
        "%(count)d transfers with this error re-queued.", count,
    ) % {"count": count}, messages.SUCCESS)  # fmt: skip
    return HttpResponseRedirect(reverse("admin:integrations_transfer_change", args=[object_id]))
