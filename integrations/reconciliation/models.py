"""Reconciliation runs, their findings, and the stored account-plan comparison per connection."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Finding(models.TextChoices):
    """The class of one finding. `MATCHED` is only counted, never stored as an item."""

    MATCHED = "matched", _("matched")
    MISSING_THERE = "missing_there", _("missing in the accounting system")
    BOUND_HERE = "bound_here", _("posted there but failed here (now bound)")
    DOUBLED = "doubled", _("doubled there")
    DIFFERENT = "different", _("different")
    UNKNOWN_HERE = "unknown_here", _("there from this integration but unknown here")
    REGISTER_CHANGED = "register_changed", _("register changed there")
    ACCOUNT_MISSING = "account_missing", _("account missing there")
    ACCOUNT_INACTIVE = "account_inactive", _("account inactive there")
    VAT_CODE_DIFFERS = "vat_code_differs", _("account with another VAT code there")
    VAT_CODE_UNKNOWN = "vat_code_unknown", _("VAT code unknown there")


#: Findings a person must act on (the run's e-mail names each of them).
NEEDS_A_PERSON = {
    Finding.MISSING_THERE, Finding.DOUBLED, Finding.DIFFERENT, Finding.UNKNOWN_HERE,
    Finding.REGISTER_CHANGED, Finding.ACCOUNT_MISSING, Finding.ACCOUNT_INACTIVE,
    Finding.VAT_CODE_DIFFERS, Finding.VAT_CODE_UNKNOWN,
}  # fmt: skip


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    NOT_SUPPORTED = "not_supported", _("not supported by the system")


class ReconciliationRun(models.Model):
    client = models.ForeignKey(
        "accounting.Client", on_delete=models.CASCADE, related_name="reconciliation_runs",
        verbose_name=_("client"),
    )  # fmt: skip
    connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.CASCADE, related_name="reconciliation_runs",
        verbose_name=_("connection"),
    )  # fmt: skip
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_by = models.CharField(
        _("started by"), max_length=150, blank=True,
        help_text=_("A person, the schedule or a command."),
    )  # fmt: skip
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    api_calls = models.PositiveIntegerField(_("API calls"), default=0)
    note = models.TextField(_("note"), blank=True)
    notified_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at", "-pk"]
        permissions = [("run_reconciliation", _("Can start reconciliation runs"))]
        indexes = [
            models.Index(fields=["connection", "-started_at"], name="integ_recon_conn_new"),
        ]

    def __str__(self) -> str:
        return _("Reconciliation %(client)s %(start)s–%(end)s") % {
            "client": self.client, "start": self.date_from, "end": self.date_to}

    def count(self, finding: str) -> int:
        return int((self.counts or {}).get(str(finding), 0))

    @property
    def needs_a_person(self) -> int:
        return sum(self.count(f) for f in NEEDS_A_PERSON)


class ReconciliationItem(models.Model):
    """One finding of a run: our record (if any), its transfer (if any), what differs."""

    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("run")
    )
    finding = models.CharField(_("class"), max_length=30, choices=Finding.choices)
    what = models.CharField(_("what"), max_length=30, help_text=_("invoice, customer, account…"))
    number = models.CharField(_("number"), max_length=64, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("object type"),
    )  # fmt: skip
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object = GenericForeignKey("content_type", "object_id")
    transfer = models.ForeignKey(
        "integrations.Transfer", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("transfer"),
    )  # fmt: skip
    detail = models.TextField(_("detail"), blank=True)
    differences = models.JSONField(
        _("differences"), default=list, blank=True,
        help_text=_("Each field that differs: [field, ours, theirs]."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("reconciliation finding")
        verbose_name_plural = _("reconciliation findings")
        ordering = ["run", "finding", "number", "pk"]
        indexes = [models.Index(fields=["run", "finding"], name="integ_recon_item_run")]

    def __str__(self) -> str:
        return f"{self.get_finding_display()}: {self.what} {self.number}".strip()


class AccountPlanCheck(models.Model):
    """The last comparison of a client's account plan with the accounting system's, per
    connection. Finalize reads `missing_accounts` (no HTTP at finalize); the setup checklist
    shows the whole of it."""

    connection = models.OneToOneField(
        "integrations.Connection", on_delete=models.CASCADE, related_name="account_plan_check",
        verbose_name=_("connection"),
    )  # fmt: skip
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)
    our_accounts = models.PositiveIntegerField(_("our accounts"), default=0)
    their_accounts = models.PositiveIntegerField(_("their accounts"), default=0)
    their_vat_codes = models.PositiveIntegerField(_("their VAT codes"), default=0)
    missing_accounts = models.JSONField(_("accounts missing there"), default=list, blank=True)
    inactive_accounts = models.JSONField(_("accounts inactive there"), default=list, blank=True)
    vat_code_differences = models.JSONField(
        _("accounts with another VAT code there"), default=list, blank=True,
        help_text=_("[account number, our external VAT code, theirs]"),
    )  # fmt: skip
    unknown_vat_codes = models.JSONField(_("VAT codes unknown there"), default=list, blank=True)

    class Meta:
        verbose_name = _("account-plan check")
        verbose_name_plural = _("account-plan checks")

    def __str__(self) -> str:
        return f"{self.connection} @ {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def differs(self) -> bool:
        return bool(
            self.missing_accounts or self.inactive_accounts or self.vat_code_differences
            or self.unknown_vat_codes
        )  # fmt: skip
