"""POS invoice sales: per-client settings, the sales a till sold "on invoice", nightly batches.

A restaurant or shop sells on invoice at the till; each night those sales become sales orders
(invoices) in PowerOffice Go, on products set up per VAT rate whose sales account is the 19xx
"Faktura kasse" account, so the sale is not booked twice. See pos/admin.py for the setup steps.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models.base import ClientOwned, PlainText, TimeStamped, unique_per_client
from accounting.models.validation import business_date_errors, raise_if, shown
from accounting.references import transfer_reference_field

VAT_RATES = (0, 12, 15, 25)
#: Days of the week the POS batch may run on, as cron writes them (DiggiPOS's scheduler: days
#: and a time per client).
RUN_DAYS = (
    ("mon", _("Monday")), ("tue", _("Tuesday")), ("wed", _("Wednesday")),
    ("thu", _("Thursday")), ("fri", _("Friday")), ("sat", _("Saturday")), ("sun", _("Sunday")),
)
EVERY_DAY = ",".join(day for day, _label in RUN_DAYS)


def validate_run_days(value: str) -> None:
    """A comma-separated list of at least one of mon … sun, each once."""
    days = [day.strip() for day in (value or "").split(",") if day.strip()]
    known = {day for day, _label in RUN_DAYS}
    unknown = [day for day in days if day not in known]
    if not days or unknown or len(set(days)) != len(days):
        raise ValidationError(
            _("Run days “%(value)s”: choose at least one day of the week, each once "
              "(mon, tue, wed, thu, fri, sat, sun)."),
            params={"value": value}, code="run_days",
        )
#: Sale numbers appear in URLs (/api/v1/pos-sales/{number}): letters, digits, . _ - only.
SALE_NUMBER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
NOTE_MAX_LENGTH = 1000


class VatRate(models.IntegerChoices):
    ZERO = 0, _("0 % VAT")
    LOW = 12, _("12 % VAT")
    MIDDLE = 15, _("15 % VAT")
    HIGH = 25, _("25 % VAT")


def _product_id_field(label, help_text):
    return models.PositiveBigIntegerField(label, null=True, blank=True, help_text=help_text)


class PosSettings(TimeStamped):
    """How one client's POS invoice sales go to PowerOffice Go (one row per client)."""

    client = models.OneToOneField(
        "accounting.Client",
        on_delete=models.CASCADE,
        related_name="pos_settings",
        verbose_name=_("client"),
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=False,
        help_text=_("Only enabled clients get a nightly batch schedule."),
    )
    enabled_since = models.DateField(
        _("enabled since"),
        help_text=_(
            "Invoice sales from this day on are sent. May be in the past (as long as the books "
            "for those days are not closed): earlier unsent sales are then included."
        ),
    )
    send_amounts_excluding_vat = models.BooleanField(
        _("send amounts excluding VAT"),
        default=False,
        help_text=_(
            "Depends on the invoice settings in PowerOffice Go (check the invoice setup there): "
            "tick when product prices in PowerOffice Go are entered excluding VAT."
        ),
    )
    product_id_vat_0 = _product_id_field(
        _("product id, 0 % VAT"), _("PowerOffice Go product id for invoice sales at 0 % VAT.")
    )
    product_id_vat_12 = _product_id_field(
        _("product id, 12 % VAT"), _("PowerOffice Go product id for invoice sales at 12 % VAT.")
    )
    product_id_vat_15 = _product_id_field(
        _("product id, 15 % VAT"), _("PowerOffice Go product id for invoice sales at 15 % VAT.")
    )
    product_id_vat_25 = _product_id_field(
        _("product id, 25 % VAT"), _("PowerOffice Go product id for invoice sales at 25 % VAT.")
    )
    gratuity_product_id = _product_id_field(
        _("gratuity product id"), _("PowerOffice Go product id for the gratuity (tip) line.")
    )
    invoice_fee_product_id = _product_id_field(
        _("invoice fee product id"),
        _("PowerOffice Go product id for the invoice fee line. Empty: no invoice fee."),
    )
    invoice_fee_amount = models.DecimalField(
        _("invoice fee amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Overrides the invoice fee product's price. Empty: the price set on the product in "
            "PowerOffice Go is used."
        ),
    )
    send_to_customer = models.BooleanField(
        _("send invoices to the customer"),
        default=False,
        help_text=_(
            "Ticked: PowerOffice Go creates the invoice and sends it to the customer. "
            "Not ticked: the sales order is left as a draft in PowerOffice Go for review."
        ),
    )
    run_days = models.CharField(
        _("run on"),
        max_length=27,
        default=EVERY_DAY,
        validators=[validate_run_days],
        help_text=_(
            "The days the batch runs, like DiggiPOS's scheduler: e.g. not on days the "
            "restaurant is closed. A run sends every unsent sale up to its business date, so "
            "the sales of a skipped day go with the next run."
        ),
    )
    run_time = models.TimeField(
        _("nightly run time"),
        default=dt.time(3, 0),
        help_text=_(
            "When the nightly batch runs (local time). Choose a time after closing. A run "
            "before noon sends the previous day's sales as that day's batch."
        ),
    )
    invoice_payment_account = models.PositiveIntegerField(
        _("counter-posting account (19xx “Faktura kasse”)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(1999)],
        help_text=_(
            "The account in PowerOffice Go the POS posts its invoice payments to, and the sales "
            "account of the six products above, so sale and invoice cancel out there."
        ),
    )

    class Meta:
        verbose_name = _("POS settings")
        verbose_name_plural = _("POS settings")
        ordering = ["client__name"]

    def __str__(self) -> str:
        return str(_("POS settings of %(client)s") % {"client": self.client})

    def product_id_for(self, vat_rate: int) -> int | None:
        """The mapped product id for a VAT rate (0, 12, 15 or 25), None when not set."""
        return getattr(self, f"product_id_vat_{int(vat_rate)}", None)

    def configured_product_ids(self) -> dict[str, int]:
        """Label -> product id of every product id that is set, in form order."""
        names = [f"product_id_vat_{rate}" for rate in VAT_RATES]
        names += ["gratuity_product_id", "invoice_fee_product_id"]
        result = {}
        for name in names:
            value = getattr(self, name)
            if value:
                result[str(self._meta.get_field(name).verbose_name)] = value
        return result


class PosBatch(TimeStamped):
    """The nightly batch of one client for one business date; at most one per (client, date)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        QUEUED = "queued", _("queued")
        DONE = "done", _("done")
        FAILED = "failed", _("some sales failed")

    client = models.ForeignKey(
        "accounting.Client", on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    business_date = models.DateField(_("business date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    sales_total = models.PositiveIntegerField(_("sales"), default=0)
    sales_sent = models.PositiveIntegerField(_("sent"), default=0)
    sales_failed = models.PositiveIntegerField(_("failed"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("POS batch")
        verbose_name_plural = _("POS batches")
        ordering = ["-business_date", "client__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "business_date"], name="pos_batch_one_per_client_and_date"
            )
        ]

    def __str__(self) -> str:
        return str(
            _("POS batch %(date)s of %(client)s")
            % {"date": self.business_date.isoformat(), "client": self.client}
        )

    @property
    def number(self) -> str:
        """Shown in the sync log next to the transfer."""
        return self.business_date.isoformat()


class PosSale(ClientOwned):
    """One sale paid "on invoice" at the till, to become one invoice in PowerOffice Go."""

    class Status(models.TextChoices):
        UNSENT = "unsent", _("unsent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    number = models.CharField(
        _("sale number"), max_length=40, help_text=_("The receipt number from the till.")
    )
    till = models.CharField(
        _("till / terminal"), max_length=60, blank=True, help_text=_("Which till sold it.")
    )
    sold_at = models.DateTimeField(_("sold at"))
    customer = models.ForeignKey(
        "accounting.Customer",
        on_delete=models.PROTECT,
        related_name="pos_sales",
        verbose_name=_("invoice customer"),
        help_text=_(
            "The forced invoice customer chosen at the till. It must exist in PowerOffice Go."
        ),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Printed as a text line on the invoice."),
    )
    gratuity_amount = models.DecimalField(
        _("gratuity"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Tip on the sale, sent on the gratuity product."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNSENT, db_index=True
    )
    external_id = models.CharField(
        _("PowerOffice Go id"),
        max_length=100,
        blank=True,
        help_text=_("The sales order id in PowerOffice Go, once created."),
    )
    batch = models.ForeignKey(
        PosBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("batch"),
        help_text=_("The last batch that included this sale."),
    )
    error = models.TextField(_("error"), blank=True, help_text=_("Why the last send failed."))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    transfer_reference = transfer_reference_field(
        _(
            "Sent with this document to the accounting system, fixed when it was first "
            "batched; every retry sends the same."
        )
    )

    class Meta:
        verbose_name = _("POS sale")
        verbose_name_plural = _("POS sales")
        ordering = ["-sold_at", "number"]
        constraints = [
            unique_per_client(
                "possale", "number", message=_("This sale number is already recorded.")
            )
        ]
        indexes = [
            models.Index(fields=["client", "status", "sold_at"], name="pos_sale_due"),
            # A batch is sent a page at a time, each read after the last sale sent.
            models.Index(fields=["batch", "sold_at", "id"], name="pos_sale_batch_page"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return str(_("POS sale %(number)s") % {"number": self.number})

    def clean(self) -> None:
        errors = self.cross_client_errors()
        if self.number and not re.fullmatch(SALE_NUMBER_PATTERN, self.number):
            errors.setdefault("number", []).append(
                _(
                    "%(record)s: sale number '%(value)s' may hold only letters, digits, '.', '_' "
                    "and '-' (no spaces or '/')."
                )
                % {"record": self.label, "value": shown(self.number)}
            )
        if self.note and len(self.note) > NOTE_MAX_LENGTH:
            errors.setdefault("note", []).append(
                _("%(record)s: the note has %(length)d characters; at most %(limit)d.")
                % {"record": self.label, "length": len(self.note), "limit": NOTE_MAX_LENGTH}
            )
        business_date_errors(self, "sold_at", errors, future=False)
        raise_if(errors)


class PosSaleLine(PlainText):
    """One line of a POS sale: the line total including VAT at one VAT rate."""

    sale = models.ForeignKey(
        PosSale, on_delete=models.CASCADE, related_name="lines", verbose_name=_("sale")
    )
    line_no = models.PositiveSmallIntegerField(_("line"), default=1)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    amount_incl_vat = models.DecimalField(
        _("amount incl. VAT"),
        max_digits=12,
        decimal_places=2,
        help_text=_("The line total including VAT, as on the receipt (negative for returns)."),
    )
    vat_rate = models.PositiveSmallIntegerField(
        _("VAT rate"), choices=VatRate.choices, help_text=_("0, 12, 15 or 25 %.")
    )

    class Meta:
        verbose_name = _("POS sale line")
        verbose_name_plural = _("POS sale lines")
        ordering = ["sale", "line_no"]

    def __str__(self) -> str:
        return f"{self.sale} · {self.line_no}"

    @property
    def label(self) -> str:
        try:
            sale = self.sale.label
        except PosSale.DoesNotExist:
            sale = _("POS sale")
        return str(_("%(sale)s line %(no)s") % {"sale": sale, "no": self.line_no})

    def clean(self) -> None:
        if isinstance(self.quantity, Decimal) and self.quantity.is_zero():
            raise ValidationError(
                {
                    "quantity": _("%(record)s: quantity is 0; leave the line out instead.")
                    % {"record": self.label}
                }
            )
