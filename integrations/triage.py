"""Failure triage: a failed transfer in plain words, what to fix, and which failures share a cause.

The engine stores the error text on the transfer and the HTTP status, request and response on
the attempt; the error class itself is not stored. `transfer_triage()` reads those back into a
category (the error tree's names) with an explanation, what to fix and where:

    AuthError           -> re-enter the client key and test the connection
    ValidationRejected  -> the system refused fields: listed one by one
    Unavailable         -> retried automatically; re-queue only after the retries gave up
    DataError (VAT)     -> the account without an external VAT code, linked
    ...

`error_signature()` groups failures with the same cause (the record's own number and line
numbers left out), so all of them can be re-queued at once after the fix. The key is computed
once, when the transfer fails (`transfer_outcome_save()`, called by the engine), and stored on
`Transfer.error_group` until the failure is resolved (by the statement saving a later success,
or a later skip that found the object already there: `transfer_resolves_failures()`);
the sync log's "same error" filter only counts stored keys through a partial index.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, Max, Q, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import UNRESOLVED_FAILURE, AttemptOutcome, Transfer, TransferStatus

_VAT_RE = re.compile(r"account (\d+) has no external VAT code")
# A POS sale's order line names a product PowerOffice Go does not have, or none is set.
_POS_PRODUCT_RE = re.compile(
    r"Product(?:Id|Code) (\S+) not found|no PowerOffice Go product id|no gratuity product id"
)
_LOCK_RE = re.compile(r"is in a period locked")
_SERIES_RE = re.compile(r"outside the customer number series")
_GAVE_UP_RE = re.compile(r"^Gave up after \d+ attempts: ")
_LINE_RE = re.compile(r"\bline \d+\b")
_RETRY_RE = re.compile(r"\(retry in \d+ s\)")
# Trace and request ids (GUIDs, long hex runs) differ on every answer, whatever the cause.
_TOKEN_RE = re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b", re.I)


@dataclass(frozen=True)
class Triage:
    category: str
    title: str
    explanation: str
    what_to_fix: str
    fix_url: str = ""
    fix_label: str = ""
    field_errors: list[tuple[str, str]] = field(default_factory=list)
    retried_automatically: bool = False
    #: The attempt's stored request is the refused call (not a later look-up or another sale).
    shows_failing_request: bool = False
    #: One line per record that failed, for a batch or import that failed in part.
    record_errors: list[str] = field(default_factory=list)


# category -> (title, explanation, what to fix)
EXPLANATIONS = {
    "vat_code": (
        _("Account without external VAT code"),
        _("An invoice line is on an account that has no external VAT code, so the accounting "
          "system cannot post it. Nothing was sent."),
        _("Set the external VAT code on the account, then re-queue this transfer (and the others "
          "with the same error)."),
    ),
    "pos_product": (
        _("POS product id unknown to PowerOffice Go"),
        _("A POS sale's order line names a product id that PowerOffice Go does not have (or no "
          "product id is set for that line). The POS settings hold one product id per VAT rate, "
          "the gratuity and the invoice fee. The sale was not sent."),
        _("Open the POS settings and pick each product from PowerOffice Go's product list "
          "(code, name and sales account are shown), save and test; then re-queue."),
    ),
    "lock_date": (
        _("Period locked in the accounting system"),
        _("The document's date is in a period the accountant has closed in the accounting "
          "system. Nothing was sent."),
        _("Ask the accountant to open the period, or correct the date; then re-queue."),
    ),
    "number_series": (
        _("Customer number outside the number series"),
        _("The customer's number is not inside any customer number series in PowerOffice Go."),
        _("Renumber the customer, set its external ledger number, or add a number series in "
          "PowerOffice Go; then re-queue."),
    ),
    "data": (
        _("Data cannot be sent as it is"),
        _("Ledgerbridge refused to send the record before contacting the accounting system."),
        _("Correct the record named in the error, then re-queue."),
    ),
    "auth": (
        _("Credentials rejected (AuthError)"),
        _("The accounting system refused the key (PowerOffice Go: the client key; Azets: the "
          "API key, or username and password): it is wrong, revoked or for another "
          "environment. Transfers of this client wait until the connection works again."),
        _("Re-enter the key on the connection and press “Test connection”. A passing test "
          "releases the waiting transfers."),
    ),
    "validation": (
        _("Refused by the accounting system (ValidationRejected)"),
        _("The accounting system received the data and refused it. The fields it named are "
          "listed below."),
        _("Correct the named fields on the record, then re-queue."),
    ),
    "not_found": (
        _("Not found in the accounting system (NotFound)"),
        _("Something the transfer refers to does not exist (any more) in the accounting system."),
        _("Check that the record exists there (it may have been deleted), then re-queue."),
    ),
    "conflict": (
        _("Duplicate in the accounting system (Conflict)"),
        _("The accounting system already has a record with this number or reference."),
        _("Check the record in the accounting system; do not change numbers there. Re-queue "
          "when resolved."),
    ),
    "unavailable": (
        _("Accounting system unavailable (Unavailable)"),
        _("The accounting system could not be reached or answered with a server error. This is "
          "retried automatically with increasing pauses."),
        _("Nothing to fix in your data. If the retries gave up, re-queue once the system works "
          "again."),
    ),
    "misconfigured": (
        _("Connection not configured"),
        _("The connection or the server settings are incomplete."),
        _("Open the connection, complete it and test it; then re-queue."),
    ),
    "unexpected": (
        _("Unexpected error"),
        _("Something went wrong inside Ledgerbridge. The details were logged for the operators."),
        _("Re-queue once; if it fails again, report it with the transfer's number."),
    ),
}


def _category(text: str, status: int | None, outcome: str) -> str:
    if _VAT_RE.search(text):
        return "vat_code"
    if _POS_PRODUCT_RE.search(text):
        return "pos_product"
    for pattern, category in ((_LOCK_RE, "lock_date"), (_SERIES_RE, "number_series")):
        if pattern.search(text):
            return category
    if outcome == AttemptOutcome.AUTH_FAILED or status in (401, 403):
        return "auth"
    if status in (400, 422):
        return "validation"
    if status == 404:
        return "not_found"
    if status == 409:
        return "conflict"
    if status == 429 or (status or 0) >= 500 or _GAVE_UP_RE.match(text):
        return "unavailable"
    if text.startswith("The connection is not configured"):
        return "misconfigured"
    if outcome == AttemptOutcome.ERROR or text.startswith("Unexpected error"):
        return "unexpected"
    return "data"


def field_errors_from(response_summary: str) -> list[tuple[str, str]]:
    """(field, message) pairs from a stored ProblemDetails response, when it parses."""
    from .http import _lower_keys

    try:
        data = _lower_keys(json.loads(response_summary))
    except (TypeError, ValueError):
        return []
    raw, pairs = data.get("errors"), []
    if isinstance(raw, dict):
        for name, messages in raw.items():
            for message in messages if isinstance(messages, list) else [messages]:
                pairs.append((str(name), str(message)))
    elif isinstance(raw, list):
        for item in raw:
            item = _lower_keys(item)
            pairs.append((str(item.get("field") or item.get("propertyname") or ""),
                          str(item.get("message") or item)))  # fmt: skip
    return pairs


def _admin_change_url(obj) -> str:
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def _pos_settings_link(transfer: Transfer) -> tuple[str, str]:
    from pos.models import PosSettings

    pk = PosSettings.objects.filter(client_id=transfer.client_id).values_list("pk", flat=True)
    if not pk:
        url = reverse("admin:pos_possettings_add") + f"?client={transfer.client_id}"
        return url, str(_("Add the POS settings"))
    return reverse("admin:pos_possettings_change", args=[pk[0]]), str(
        _("Open the POS settings (product ids)"))


def _record_link(transfer: Transfer) -> tuple[str, str]:
    """The record the transfer sends (the invoice, customer, batch…), when it still exists."""
    if transfer.content_type_id is None or transfer.object_id is None:
        return "", ""
    obj = transfer.object  # None when the record was deleted
    url = _admin_change_url(obj) if obj is not None else ""
    if not url:
        return "", ""
    return url, str(_("Open %(record)s") % {"record": transfer.describe_object()})


def _fix_link(category: str, transfer: Transfer, text: str) -> tuple[str, str]:
    """Where the user changes what is wrong: the setting or the record, as a link."""
    if category == "vat_code":
        match = _VAT_RE.search(text)
        query = f"client__id__exact={transfer.client_id}&q={match.group(1)}"
        return reverse("admin:accounting_account_changelist") + "?" + query, str(
            _("Open account %(number)s") % {"number": match.group(1)})
    if category == "pos_product":
        return _pos_settings_link(transfer)
    if category in ("auth", "misconfigured", "unavailable"):
        url = reverse("admin:integrations_connection_change", args=[transfer.connection_id])
        return url, str(_("Open the connection"))
    if category in ("data", "validation", "not_found", "conflict", "number_series", "lock_date"):
        return _record_link(transfer)
    return "", ""


def attempt_request_is_the_failing_call(attempt) -> bool:
    """Whether the request stored on the attempt is the call that was refused.

    An attempt stores its last HTTP call. When the failure came from elsewhere (a record
    refused before sending, one sale of a batch, or a look-up made after a refusal) that call
    answered with success and belongs to another step, so it is not shown as the cause."""
    return bool(
        attempt and attempt.request_summary and attempt.http_status and attempt.http_status >= 400
    )


def transfer_last_attempt(transfer: Transfer):
    return transfer.attempt_set.order_by("-number").first()


def transfer_triage(*, transfer: Transfer, attempt=None) -> Triage | None:
    """The plain-words reading of a failed (or credential-blocked) transfer; None otherwise."""
    attempt = attempt or transfer_last_attempt(transfer)
    outcome = attempt.outcome if attempt else ""
    blocked = transfer.status == TransferStatus.PENDING and outcome == AttemptOutcome.AUTH_FAILED
    if transfer.status != TransferStatus.FAILED and not blocked:
        return None
    text = transfer.last_error or (attempt.error if attempt else "")
    status = attempt.http_status if attempt else None
    category = _category(text, status, outcome)
    title, explanation, what_to_fix = EXPLANATIONS[category]
    fix_url, fix_label = _fix_link(category, transfer, text)
    fields = field_errors_from(attempt.response_summary) if attempt else []
    head, *record_errors = (text or "").splitlines()
    return Triage(
        category=category, title=str(title), explanation=str(explanation),
        what_to_fix=str(what_to_fix), fix_url=fix_url, fix_label=fix_label, field_errors=fields,
        retried_automatically=category == "unavailable",
        shows_failing_request=attempt_request_is_the_failing_call(attempt),
        record_errors=[line for line in record_errors if line.strip()],
    )  # fmt: skip


def error_signature(text: str, object_number: str = "") -> str:
    """A short key shared by failures with the same cause: the record's own number, line
    numbers, retry counts and trace ids are left out, the rest of the message must match."""
    normal = _RETRY_RE.sub("", _GAVE_UP_RE.sub("", text or ""))
    normal = _TOKEN_RE.sub("…", normal)
    if object_number:
        normal = normal.replace(object_number, "#")
    normal = " ".join(_LINE_RE.sub("line #", normal).split())[:500]
    return hashlib.sha1(normal.encode(), usedforsecurity=False).hexdigest()[:12]


def error_summary(text: str, object_number: str = "", limit: int = 90) -> str:
    """The same normalised message, shortened for a filter's label."""
    normal = _TOKEN_RE.sub("…", _GAVE_UP_RE.sub("", text or ""))
    if object_number:
        normal = normal.replace(object_number, "…")
    normal = " ".join(_LINE_RE.sub("line …", normal).split())
    return normal if len(normal) <= limit else normal[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# The stored grouping
# ---------------------------------------------------------------------------------------------
def transfer_error_group_update(*, transfer: Transfer) -> None:
    """Keep the "same error" grouping in step with the status the engine has just set, before
    it saves the transfer: a failure stores the key of its cause (`error_signature`), so the
    sync log never has to read and hash error texts; any other outcome leaves the group."""
    if transfer.status == TransferStatus.FAILED:
        transfer.error_group = error_signature(transfer.last_error, transfer.object_number)
    else:
        transfer.error_group = ""


def transfer_resolves_failures(*, transfer: Transfer) -> bool:
    """Whether the outcome just set resolves the earlier failures of the same object on the
    same connection: a success does, and so does a skip that found the object already in the
    accounting system as it is now (an exporter's "unchanged since the last transfer" or
    "already transferred", which carry the external id): e.g. a customer whose refused change
    was undone before it was ever sent."""
    in_step = transfer.status == TransferStatus.SUCCEEDED or (
        transfer.status == TransferStatus.SKIPPED and bool(transfer.external_id)
    )
    return in_step and transfer.object_id is not None


def transfer_outcome_save(*, transfer: Transfer, fields: Iterable[str]) -> None:
    """Save the outcome the engine has set on `transfer` (its `fields`) with its grouping, in
    one statement: when the outcome resolves the earlier failures of the object
    (`transfer_resolves_failures`), the same UPDATE takes them out of their group."""
    transfer_error_group_update(transfer=transfer)
    fields = {*fields, "error_group"}
    if not transfer_resolves_failures(transfer=transfer):
        transfer.save(update_fields=fields)
        return
    this = Q(pk=transfer.pk)
    values = {
        name: Case(
            When(this, then=Value(getattr(transfer, name),
                                  output_field=Transfer._meta.get_field(name))),
            default=F(name),
        )  # fmt: skip
        for name in sorted(fields - {"error_group"})
    }
    same_object = Transfer.objects.filter(this) | transfers_superseded_failures(transfer=transfer)
    same_object.update(error_group="", **values)


def transfers_superseded_failures(*, transfer: Transfer):
    """Unresolved failures of the same object on the same connection, this transfer aside."""
    return Transfer.objects.filter(
        UNRESOLVED_FAILURE,
        connection_id=transfer.connection_id,
        content_type_id=transfer.content_type_id,
        object_id=transfer.object_id,
    ).exclude(pk=transfer.pk)


def transfers_unresolved_failures(*, client_id: int | None = None):
    failures = Transfer.objects.filter(UNRESOLVED_FAILURE)
    return failures if client_id is None else failures.filter(client_id=client_id)


@dataclass(frozen=True)
class FailureGroup:
    key: str
    summary: str
    count: int


def failure_groups(*, client_id: int | None = None, limit: int = 20) -> list[FailureGroup]:
    """The largest groups of unresolved failures (of one client, or of all), with a summary of
    their shared message: two queries over the partial index of unresolved failures."""
    rows = list(
        transfers_unresolved_failures(client_id=client_id)
        .values("error_group")
        .annotate(count=Count("pk"), sample=Max("pk"))
        .order_by("-count", "error_group")[:limit]
    )
    samples = Transfer.objects.filter(pk__in=[row["sample"] for row in rows])
    texts = {pk: (text, number) for pk, text, number in
             samples.values_list("pk", "last_error", "object_number")}  # fmt: skip
    return [
        FailureGroup(row["error_group"], error_summary(*texts.get(row["sample"], ("", ""))),
                     row["count"])
        for row in rows
    ]  # fmt: skip


def transfers_same_error(*, transfer: Transfer):
    """Unresolved failures of the same client (this one included, unless resolved) whose error
    has the same cause. Other clients are left alone: their accounts and settings are their
    own, so a fix here does not fix them, and re-queueing them would only fail and e-mail them
    again."""
    key = transfer.error_group or error_signature(transfer.last_error, transfer.object_number)
    return transfers_unresolved_failures(client_id=transfer.client_id).filter(error_group=key)
