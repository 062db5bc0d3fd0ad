"""Failure triage in the sync log: the "same error" filter and the re-queue buttons.

The change page of a failed transfer shows `transfer_triage()` (plain words, what to fix, the
last attempt's request and response) and two POST buttons, both guarded by the "Can re-queue
and cancel transfers" permission: re-queue this transfer, and re-queue every failed transfer
with the same error (after fixing a shared cause such as a missing VAT code).
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
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


# -- the transfer's detail page: counts that agree, and tables instead of raw JSON -------------
def _value_text(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value in (None, "") else str(value)


def key_value_table(data) -> str:
    """A dict as a two-column table ("—" when empty); other JSON as text."""
    if not data:
        return "—"
    if not isinstance(data, dict):
        return _value_text(data)
    rows = format_html_join(
        "", "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
        ((key, _value_text(value)) for key, value in data.items()),
    )  # fmt: skip
    return format_html('<table class="kv-table">{}</table>', rows)


STEP_COLUMNS = (
    ("step", _("step")), ("action", _("action")), ("object", _("object")),
    ("external_id", _("external id")), ("detail", _("detail")),
)  # fmt: skip


def steps_table(steps) -> str:
    """What the exporter did in one attempt, one row per step."""
    if not steps:
        return "—"
    if not isinstance(steps, list):
        return _value_text(steps)
    head = format_html_join("", "<th>{}</th>", ((label,) for _key, label in STEP_COLUMNS))
    body = format_html_join(
        "", "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", (
            (_value_text(step.get(key)) if isinstance(step, dict) else _value_text(step),)
            for key, _label in STEP_COLUMNS
        )),) for step in steps),
    )  # fmt: skip
    return format_html('<table class="steps-table"><tr>{}</tr>{}</table>', head, body)


def response_table(text: str) -> str:
    """A stored answer: ProblemDetails (title, detail, field errors) as a table when it is JSON,
    otherwise the text itself."""
    if not text:
        return "—"
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return format_html("<pre>{}</pre>", text)
    if isinstance(data, dict):
        errors = data.get("errors") or data.get("Errors")
        rest = {k: v for k, v in data.items() if k not in ("errors", "Errors")}
        table = key_value_table(rest)
        if isinstance(errors, dict) and errors:
            rows = format_html_join(
                "", "<tr><td><code>{}</code></td><td>{}</td></tr>",
                ((name, "; ".join(map(str, msgs if isinstance(msgs, list) else [msgs])))
                 for name, msgs in errors.items()),
            )  # fmt: skip
            table = format_html(
                '{}<table class="kv-table"><tr><th>{}</th><th>{}</th></tr>{}</table>',
                table, gettext("field"), gettext("message"), rows,
            )  # fmt: skip
        return table
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return format_html_join("", "{}", ((key_value_table(row),) for row in data[:20]))
    return format_html("<pre>{}</pre>", text)


class TransferDetailDisplay:
    """Read-only displays for the transfer's page (mixed into TransferAdmin): the attempts
    count agrees with the attempts listed below it, parameters and result are tables."""

    DETAIL_REPLACEMENTS = {
        "attempts": "attempts_display", "params": "params_table", "result": "result_table",
    }  # fmt: skip

    def detail_fields(self, exclude) -> list[str]:
        return [
            self.DETAIL_REPLACEMENTS.get(f.name, f.name)
            for f in self.model._meta.fields
            if f.name not in exclude
        ]

    @admin.display(description=_("attempts"))
    def attempts_display(self, obj):
        total = obj.attempt_set.count()
        if total == obj.attempts:
            return str(total)
        return ngettext(
            "%(total)d in all, %(since)d since it was last re-queued",
            "%(total)d in all, %(since)d since it was last re-queued",
            total,
        ) % {"total": total, "since": obj.attempts}

    @admin.display(description=_("parameters"))
    def params_table(self, obj):
        return key_value_table(obj.params)

    @admin.display(description=_("result"))
    def result_table(self, obj):
        return key_value_table(obj.result)


class AttemptDisplay:
    """Read-only displays of one attempt row (mixed into the attempts inline)."""

    @admin.display(description=_("steps"))
    def steps_table(self, obj):
        return steps_table(obj.steps)

    @admin.display(description=_("response"))
    def response_display(self, obj):
        return response_table(obj.response_summary)
