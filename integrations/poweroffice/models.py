"""Per-connection settings of the PowerOffice Go connector (one row per PowerOffice connection)."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class VoucherRoute(models.TextChoices):
    OUTGOING_INVOICE = "outgoing_invoice", _("Outgoing invoice voucher (recommended)")
    MANUAL_JOURNAL = "manual_journal", _("Manual journal (fallback)")


class PowerOfficeSettings(models.Model):
    connection = models.OneToOneField(
        "integrations.Connection",
        on_delete=models.CASCADE,
        related_name="poweroffice_settings",
        verbose_name=_("connection"),
    )
    voucher_route = models.CharField(
        _("post invoices as"),
        max_length=20,
        choices=VoucherRoute.choices,
        default=VoucherRoute.OUTGOING_INVOICE,
        help_text=_(
            "Use the manual-journal fallback only when PowerOffice Go has not granted the "
            "outgoing-invoice privilege. It loses KID matching of payments, the due date and the "
            "invoice's place in PowerOffice Go's invoice list."
        ),
    )
    expense_import_enabled = models.BooleanField(
        _("import expenses"),
        default=False,
        help_text=_("Fetch project costs posted in PowerOffice Go every day."),
    )
    expense_import_time = models.TimeField(
        _("expense import time"),
        default=datetime.time(6, 0),
        help_text=_("Local time of the daily expense import."),
    )
    expense_days_back = models.PositiveSmallIntegerField(
        _("expense days back"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Costs posted this many days back from today are fetched."),
    )
    expense_account_from = models.PositiveIntegerField(
        _("lowest expense account"),
        default=4000,
        validators=[MinValueValidator(1000), MaxValueValidator(99999)],
        help_text=_("Only costs on this account number and above are imported."),
    )
    payment_import_enabled = models.BooleanField(
        _("import payments on a schedule"),
        default=False,
        help_text=_("Besides the on-demand import, fetch customer payments every day."),
    )
    payment_import_time = models.TimeField(
        _("payment import time"),
        default=datetime.time(7, 0),
        help_text=_("Local time of the daily payment import."),
    )
    expenses_synced_until = models.DateTimeField(
        _("expenses synced until"), null=True, blank=True, editable=False
    )
    payments_synced_until = models.DateTimeField(
        _("payments synced until"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("PowerOffice Go settings")
        verbose_name_plural = _("PowerOffice Go settings")

    def __str__(self) -> str:
        return str(_("PowerOffice Go settings of %(connection)s") % {"connection": self.connection})
