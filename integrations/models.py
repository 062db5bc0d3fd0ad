"""The transfer engine's records: connections, the outbox/sync log, attempts and bindings.

- `Connection`: one client's link to one external system (mode, encrypted secrets, recipients).
- `Transfer`: the outbox row and the sync log entry in one (what, where, status, outcome).
- `TransferAttempt`: one row per try, written before the connector runs.
- `ExternalLink`: our object <-> its id in the external system, per connection.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedJSONField


class System(models.TextChoices):
    POWEROFFICE = "poweroffice", _("PowerOffice Go")
    AZETS = "azets", _("Azets")
    POS = "pos", _("POS batch")


class Mode(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (local emulator)")
    DEMO = "demo", _("Demo (the system's test environment)")
    PRODUCTION = "production", _("Production")


class TransferKind(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    CONTACT_PERSON = "contact_person", _("contact person")
    PROJECT = "project", _("project")
    DEPARTMENT = "department", _("department")
    EMPLOYEE = "employee", _("employee")
    SUPPLIER = "supplier", _("supplier")
    PRODUCT = "product", _("product")
    PRODUCT_GROUP = "product_group", _("product group")
    INVOICE = "invoice", _("invoice")
    CREDIT_NOTE = "credit_note", _("credit note")
    SALES_ORDER = "sales_order", _("sales order")
    EXPENSE_IMPORT = "expense_import", _("expense import")
    PAYMENT_IMPORT = "payment_import", _("payment import")
    POS_BATCH = "pos_batch", _("POS batch")
    INITIAL_SYNC = "initial_sync", _("initial sync")
    CONNECTION_TEST = "connection_test", _("connection test")


#: Finalized documents: they must never be dropped. A client's disabled connection still gets
#: their transfers, which wait ("waiting: connection disabled") until it is enabled again.
#: Registers (customers, projects, ...) are sent in full when a connection is first enabled.
DOCUMENT_KINDS = frozenset({
    TransferKind.INVOICE, TransferKind.CREDIT_NOTE, TransferKind.SALES_ORDER,
    TransferKind.POS_BATCH,
})  # fmt: skip


class Operation(models.TextChoices):
    UPSERT = "upsert", _("create or update")
    CREATE = "create", _("create")
    IMPORT = "import", _("import")
    BATCH = "batch", _("batch")


def validate_email_list(value: str) -> None:
    for address in split_emails(value):
        try:
            validate_email(address)
        except ValidationError as err:
            raise ValidationError(
                _("“%(address)s” is not a valid e-mail address."),
                code="invalid",
                params={"address": address},
            ) from err


def split_emails(value: str) -> list[str]:
    """Addresses from a text separated by commas, semicolons, spaces or new lines."""
    for separator in ",;\n\r\t":
        value = value.replace(separator, " ")
    return [part for part in value.split(" ") if part]


class Connection(models.Model):
    """One client's connection to one external system. Secrets are encrypted at rest and
    write-only in the admin; connector-specific settings live in the connector's own model,
    one-to-one with this (see ADDING_A_CONNECTOR.md)."""

    client = models.ForeignKey(
        "accounting.Client",
        on_delete=models.PROTECT,
        related_name="connections",
        verbose_name=_("client"),
    )
    system = models.CharField(_("system"), max_length=20, choices=System.choices)
    mode = models.CharField(
        _("endpoint mode"),
        max_length=20,
        choices=Mode.choices,
        default=Mode.SANDBOX,
        help_text=_("Which server transfers go to. Base URLs per mode are set by the operators."),
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=False,
        help_text=_("Only enabled connections receive transfers."),
    )
    enabled_since = models.DateField(
        _("enabled since"),
        null=True,
        blank=True,
        help_text=_("Records dated before this day are not transferred. Empty: no limit."),
    )
    error_recipients = models.TextField(
        _("error e-mail recipients"),
        blank=True,
        validators=[validate_email_list],
        help_text=_("Addresses that get failure e-mails, separated by commas or new lines."),
    )
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("users to notify"),
        help_text=_("These users also get failure e-mails, at their account's address."),
    )
    secrets = EncryptedJSONField(
        _("secrets"),
        help_text=_("Client keys and passwords, encrypted. Never shown after saving."),
    )
    broken_since = models.DateTimeField(
        _("broken since"),
        null=True,
        blank=True,
        help_text=_("Set when the system rejected the credentials; transfers wait until fixed."),
    )
    broken_reason = models.TextField(_("broken because"), blank=True)
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("last test succeeded"), null=True, blank=True)
    last_test_result = models.TextField(_("last test result"), blank=True)
    failure_mail_sent_at = models.DateTimeField(
        _("last failure e-mail"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Failures are collected and e-mailed at most once per interval."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["client__name", "system"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "system"], name="integrations_connection_one_per_system"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_system_display()}"

    @property
    def is_broken(self) -> bool:
        return self.broken_since is not None

    def error_recipient_list(self) -> list[str]:
        """Every address that gets failure e-mails, without duplicates, in a stable order."""
        addresses = split_emails(self.error_recipients)
        if self.pk:
            addresses += [u.email for u in self.notify_users.filter(is_active=True) if u.email]
        return list(dict.fromkeys(addresses))

    def secret_names_set(self) -> list[str]:
        """Names of the secrets that have a value (never the values)."""
        return sorted(name for name, value in (self.secrets or {}).items() if value)

    def secret_values(self) -> list[str]:
        """The secret strings, for redaction of texts that might contain them."""
        return [str(v) for v in (self.secrets or {}).values() if v]


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")
    CANCELLED = "cancelled", _("cancelled")


#: A failed transfer whose failure is not resolved yet (see `Transfer.error_group`).
UNRESOLVED_FAILURE = Q(status=TransferStatus.FAILED, error_group__gt="")
# A failure a later success of the same object and connection superseded: kept as history.
RESOLVED_FAILURE = Q(status=TransferStatus.FAILED, error_group="")


class TransferPriority(models.IntegerChoices):
    """Which work goes first within a client (integrations.fairness): what a user just did
    before what a machine does in bulk. Lower runs first."""

    INTERACTIVE = 0, _("interactive")
    BULK = 1, _("bulk")


class Transfer(models.Model):
    """The outbox and the sync log in one: one thing to move to (or from) one connection."""

    Status = TransferStatus

    client = models.ForeignKey(
        "accounting.Client",
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("client"),
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("connection")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=TransferKind.choices)
    operation = models.CharField(
        _("operation"), max_length=20, choices=Operation.choices, default=Operation.UPSERT
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("object type"),
    )
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(
        _("object"), max_length=200, blank=True, help_text=_("How the object read when queued.")
    )
    object_number = models.CharField(
        _("number"), max_length=64, blank=True, db_index=True, help_text=_("Our number, if any.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=TransferPriority.choices,
        default=TransferPriority.INTERACTIVE,
        help_text=_(
            "Interactive work (an invoice finalized, a register saved) runs before the same "
            "client's bulk work (batches, imports, re-queues, initial syncs)."
        ),
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    error_group = models.CharField(
        _("error group"),
        max_length=12,
        blank=True,
        editable=False,
        help_text=_(
            "While the transfer is an unresolved failure: the key its error shares with other "
            "failures of the same cause (see integrations.triage). Empty once it is resolved."
        ),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
        help_text=_("Counts (fetched, created, skipped, failed) and progress (done, total)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    queued_at = models.DateTimeField(
        _("handed to the queue"),
        null=True,
        blank=True,
        help_text=_("When a worker task was last requested; the sweep re-requests stale ones."),
    )
    worker = models.CharField(
        _("worker"),
        max_length=100,
        blank=True,
        help_text=_("The process (host:pid) that claimed it last."),
    )
    heartbeat_at = models.DateTimeField(
        _("last sign of life"),
        null=True,
        blank=True,
        help_text=_(
            "Renewed while a task worker runs it; a running transfer without a recent one is "
            "put back to pending by the sweep."
        ),
    )
    notified_at = models.DateTimeField(
        _("failure e-mailed"),
        null=True,
        blank=True,
        help_text=_("When this failure was included in an error e-mail."),
    )

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-pk"]
        permissions = [("retransfer_transfer", _("Can re-queue and cancel transfers"))]
        # One index per admin filter, each ending in the list's order (newest first), so a
        # filtered page of the sync log is an index range scan even with millions of rows; the
        # sweep's query (pending and due) and the reaper's (running since) have their own.
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="integ_transfer_due"),
            models.Index(fields=["client", "status", "created_at"], name="integ_transfer_client"),
            models.Index(fields=["content_type", "object_id"], name="integ_transfer_object"),
            models.Index(fields=["external_id"], name="integ_transfer_external"),
            models.Index(fields=["-created_at", "-id"], name="integ_transfer_list"),
            models.Index(fields=["client", "-created_at", "-id"], name="integ_transfer_client_new"),
            models.Index(
                fields=["connection", "-created_at", "-id"], name="integ_transfer_conn_new"
            ),
            models.Index(fields=["kind", "-created_at", "-id"], name="integ_transfer_kind_new"),
            models.Index(fields=["status", "-created_at", "-id"], name="integ_transfer_status_new"),
            models.Index(fields=["status", "started_at"], name="integ_transfer_running"),
            # The "same error" grouping: only unresolved failures are in these (partial) indexes,
            # so counting the groups reads a small index, however large the log grows.
            models.Index(
                fields=["error_group", "-created_at", "-id"], name="integ_transfer_errgroup",
                condition=UNRESOLVED_FAILURE,
            ),
            models.Index(
                fields=["client", "error_group", "id"], name="integ_transfer_client_errgroup",
                condition=UNRESOLVED_FAILURE,
            ),
            # The dispatcher's "when was this client's work of this class last served"
            # (integrations.fairness): the newest entry is the first one read.
            models.Index(fields=["client", "priority", "started_at"], name="integ_transfer_turn"),
        ]
        constraints = [
            # Coalescing guard: at most one pending transfer per object, kind and connection.
            models.UniqueConstraint(
                fields=["connection", "kind", "content_type", "object_id"],
                condition=Q(status="pending"),
                name="integrations_transfer_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_number or self.object_repr}".strip()

    @property
    def is_final(self) -> bool:
        return self.status in {
            TransferStatus.SUCCEEDED,
            TransferStatus.FAILED,
            TransferStatus.SKIPPED,
            TransferStatus.CANCELLED,
        }

    def describe_object(self) -> str:
        """"invoice 10023": the kind and our number, or how the object read when queued."""
        return f"{self.get_kind_display()} {self.object_number or self.object_repr}".strip()

    def waiting_reason(self) -> str:
        """Why a pending transfer is not sent now, or "": its connection is disabled (it goes
        when the connection is enabled) or its credentials were rejected (it goes when a
        connection test passes)."""
        if self.status != TransferStatus.PENDING:
            return ""
        if not self.connection.enabled:
            return str(_("connection disabled"))
        if self.connection.is_broken:
            return str(_("credentials rejected"))
        return ""

    @property
    def is_resolved_failure(self) -> bool:
        """Failed, but a later transfer of the same object to the same connection resolved it:
        it succeeded, or found the object already there as it is now
        (`triage.transfer_resolves_failures`)."""
        return self.status == TransferStatus.FAILED and not self.error_group

    def status_text(self) -> str:
        """The status as the sync log shows it: "waiting: connection disabled" for a pending
        transfer that cannot go yet, otherwise the status itself."""
        reason = self.waiting_reason()
        if reason:
            return str(_("waiting: %(reason)s") % {"reason": reason})
        if self.is_resolved_failure:
            return str(_("failed, resolved by a later transfer"))
        return str(self.get_status_display())


class AttemptOutcome(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    SKIPPED = "skipped", _("skipped")
    RETRY = "retry", _("failed, will retry")
    FAILED = "failed", _("failed")
    AUTH_FAILED = "auth_failed", _("credentials rejected")
    WAITING = "waiting", _("waiting")
    ERROR = "error", _("unexpected error")


class TransferAttempt(models.Model):
    """One try of a transfer. Created before the connector runs, so every try leaves a row."""

    Outcome = AttemptOutcome

    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="attempt_set", verbose_name=_("transfer")
    )
    number = models.PositiveIntegerField(_("attempt number"), default=1)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=AttemptOutcome.choices, default=AttemptOutcome.RUNNING
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    request_summary = models.TextField(_("request"), blank=True, help_text=_("Secrets masked."))
    response_summary = models.TextField(_("response"), blank=True, help_text=_("Secrets masked."))
    error = models.TextField(_("error"), blank=True)
    steps = models.JSONField(
        _("steps"),
        default=list,
        blank=True,
        help_text=_("What the exporter did: each step with its external id and action."),
    )

    class Meta:
        verbose_name = _("transfer attempt")
        verbose_name_plural = _("transfer attempts")
        ordering = ["transfer", "number"]
        indexes = [
            models.Index(fields=["transfer", "started_at"], name="integ_attempt_transfer"),
            models.Index(fields=["started_at"], name="integ_attempt_started"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer} #{self.number}"


class ExternalLink(models.Model):
    """Our object <-> its id in the external system, per connection; unique both ways."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="links", verbose_name=_("connection")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    object = GenericForeignKey("content_type", "object_id")
    external_id = models.CharField(_("external id"), max_length=100)
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        blank=True,
        help_text=_("Hash of the last payload sent or received; unchanged records are skipped."),
    )
    synced_at = models.DateTimeField(_("last synced"), default=timezone.now)

    class Meta:
        verbose_name = _("external link")
        verbose_name_plural = _("external links")
        indexes = [
            models.Index(fields=["external_id"], name="integ_link_external"),
            models.Index(fields=["content_type", "object_id"], name="integ_link_object"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "content_type", "object_id"],
                name="integrations_link_one_per_object",
            ),
            models.UniqueConstraint(
                fields=["connection", "content_type", "external_id"],
                name="integrations_link_one_per_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} ↔ {self.external_id}"


class RateLimitTick(models.Model):
    """One claimed send time ("tick") of a request-rate budget (see integrations.ratelimit),
    shared by every process and machine that uses this database. A row is written once, by the
    one sender that won the tick, and deleted a minute after the tick. Not shown in the admin."""

    pk = models.CompositePrimaryKey("budget_key", "tick")  # one sender per tick
    budget_key = models.CharField(_("budget"), max_length=100)
    tick = models.BigIntegerField(_("tick"), help_text=_("Tick lengths since the epoch."))
    at = models.FloatField(_("send time"), help_text=_("Seconds since the epoch."))

    class Meta:
        verbose_name = _("rate-limit tick")
        verbose_name_plural = _("rate-limit ticks")

    def __str__(self) -> str:
        return f"{self.budget_key} #{self.tick}"


class DocumentSend(models.Model):
    """A document (voucher, sales order, POS sale) sent to a connection and not finished yet.

    Written and committed before the request goes out, removed when the document is bound and
    its follow-up work (a PDF, an e-mail) is done. While it exists and the document has no
    ExternalLink, the outcome of the send is unknown: the next attempt looks the document up by
    its reference before sending it again. With a link, the document is there and only the
    follow-up remains (the send's external id is noted when the follow-up failed). See
    integrations.documents."""

    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        related_name="document_sends",
        verbose_name=_("connection"),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    object = GenericForeignKey("content_type", "object_id")
    reference = models.CharField(_("reference"), max_length=100)
    sent_at = models.DateTimeField(_("last sent"), default=timezone.now)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        help_text=_("Empty while the outcome of the last send is unknown."),
    )

    class Meta:
        verbose_name = _("document send")
        verbose_name_plural = _("document sends")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "content_type", "object_id"],
                name="integrations_document_send_one_per_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.external_id or _('outcome unknown')})"


class ExportLease(models.Model):
    """Who exports an object to a connection right now. Taken in a short transaction of its
    own and released after the export, so no database lock is held while a request waits for
    an answer; a lease whose transfer no longer runs (or that expired) can be taken over."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="+", verbose_name=_("connection")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="+", verbose_name=_("transfer")
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("export lease")
        verbose_name_plural = _("export leases")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "content_type", "object_id"],
                name="integrations_export_lease_one_per_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} by transfer {self.transfer_id}"


# Reconciliation (issue 16) keeps its models in their own module; imported here so Django sees them.
from .reconciliation.models import (  # noqa: E402, F401
    AccountPlanCheck,
    ReconciliationItem,
    ReconciliationRun,
)
