"""Imported costs and payments. Each import is idempotent through its external reference."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.files import private_storage, unguessable_path

from .base import ClientOwned, TimeStamped, unique_per_client
from .validation import raise_if, validate_currency_code


class Expense(ClientOwned):
    """An incoming expense fetched from the accounting system, to be billed on a project."""

    source_system = models.CharField(
        _("source system"),
        max_length=30,
        help_text=_("The system it was imported from, e.g. poweroffice."),
    )
    external_reference = models.CharField(
        _("external reference"),
        max_length=100,
        help_text=_("The voucher or line id in the source system; makes re-imports harmless."),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    amount_incl_vat = models.DecimalField(_("amount incl. VAT"), max_digits=14, decimal_places=2)
    currency_code = models.CharField(_("currency"), max_length=3, default="NOK")
    supplier_name = models.CharField(_("supplier name"), max_length=200, blank=True)
    invoice_date = models.DateField(_("invoice date"))
    account = models.ForeignKey(
        "accounting.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenses",
        verbose_name=_("account"),
    )
    project = models.ForeignKey(
        "accounting.Project",
        on_delete=models.PROTECT,
        related_name="expenses",
        verbose_name=_("project"),
    )
    activity = models.ForeignKey(
        "accounting.ProjectActivity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenses",
        verbose_name=_("activity"),
    )
    billable = models.BooleanField(_("billable"), default=False)

    label_field = "external_reference"

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["client", "-invoice_date"]
        constraints = [
            unique_per_client(
                "expense",
                "source_system",
                "external_reference",
                message=_(
                    "external reference was already imported from this system for this client."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_date} {self.supplier_name} {self.amount_incl_vat}"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        validate_currency_code(self, "currency_code", errors)
        if self.activity_id and self.project_id and self.activity.project_id != self.project_id:
            errors.setdefault("activity", []).append(
                _("%(record)s: activity '%(activity)s' belongs to another project.")
                % {"record": self.label, "activity": self.activity.name}
            )
        raise_if(errors)


def expense_attachment_path(attachment: "ExpenseAttachment", filename: str) -> str:
    return unguessable_path("expenses", attachment.expense.client_id, filename)


class ExpenseAttachment(TimeStamped):
    expense = models.ForeignKey(
        Expense, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("expense")
    )
    file = models.FileField(_("file"), upload_to=expense_attachment_path, storage=private_storage)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("expense attachment")
        verbose_name_plural = _("expense attachments")

    def __str__(self) -> str:
        return self.name


class Payment(ClientOwned):
    """A payment of an invoice registered in the accounting system and imported from there."""

    invoice = models.ForeignKey(
        "accounting.Invoice",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("invoice"),
    )
    external_reference = models.CharField(
        _("external reference"),
        max_length=100,
        help_text=_("The payment's id in the accounting system."),
    )
    payment_date = models.DateField(_("payment date"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    reference = models.CharField(_("reference"), max_length=255, blank=True)

    label_field = "external_reference"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["client", "-payment_date"]
        constraints = [
            unique_per_client(
                "payment",
                "external_reference",
                message=_("external reference was already imported for this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_date} {self.amount}"
