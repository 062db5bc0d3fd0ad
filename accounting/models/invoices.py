"""Invoices, credit notes and their lines. A finalized invoice is never edited again."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting import money
from accounting.exceptions import InvoiceLocked
from accounting.files import private_storage, unguessable_path

from ..references import transfer_reference_field
from .base import ClientOwned, unique_per_client
from .validation import business_date_errors, raise_if, validate_currency_code

amount_kwargs = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}
percent_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def invoice_pdf_path(invoice: "Invoice", filename: str) -> str:
    return unguessable_path("invoices", invoice.client_id, filename)


class Invoice(ClientOwned):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINALIZED = "finalized", _("Finalized")

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")

    number = models.PositiveBigIntegerField(
        _("number"),
        null=True,
        blank=True,
        help_text=_("Given from the client's sequence when the invoice is finalized, if blank."),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    customer = models.ForeignKey(
        "accounting.Customer",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("customer"),
    )
    project = models.ForeignKey(
        "accounting.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("project"),
    )
    department = models.ForeignKey(
        "accounting.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("department"),
    )
    invoice_date = models.DateField(_("invoice date"), default=timezone.localdate)
    due_date = models.DateField(
        _("due date"),
        null=True,
        blank=True,
        help_text=_("If blank, set from the customer's payment terms when finalized."),
    )
    kid = models.CharField(
        _("KID"),
        max_length=25,
        blank=True,
        validators=[RegexValidator(r"^\d+-?$", _("Use digits only."))],
        help_text=_(
            "Payment identifier (KID). If blank, one is made from the number when finalized."
        ),
    )
    transfer_reference = transfer_reference_field(
        _(
            "Sent with this document to the accounting system, fixed when it was finalized; "
            "every retry sends the same."
        )
    )
    currency_code = models.CharField(
        _("currency"), max_length=3, default="NOK", help_text=_("ISO 4217.")
    )
    currency_rate = models.DecimalField(
        _("currency rate"),
        max_digits=12,
        decimal_places=6,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("NOK per unit of the currency."),
    )
    your_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    our_reference = models.CharField(_("our reference"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False
    )
    pdf = models.FileField(
        _("PDF"), upload_to=invoice_pdf_path, storage=private_storage, blank=True
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credited invoice"),
        help_text=_("Set on a credit note: the invoice it credits."),
    )
    payment_status = models.CharField(
        _("payment status"),
        max_length=12,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
        editable=False,
    )
    amount_paid = models.DecimalField(_("amount paid"), editable=False, **amount_kwargs)
    zero_total_intended = models.BooleanField(
        _("zero total intended"),
        default=False,
        help_text=_("Tick to finalize an invoice whose total is 0.00 on purpose."),
    )
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True, editable=False)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("finalized by"),
    )
    finalized_via = models.CharField(
        _("finalized via"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_(
            "What finalized the invoice when no person did, e.g. the API token of the source "
            "system that sent it."
        ),
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["client", "-invoice_date", "-number"]
        constraints = [
            unique_per_client(
                "invoice",
                "number",
                message=_("number is already used by another invoice of this client."),
            )
        ]
        indexes = [models.Index(fields=["client", "state", "invoice_date"])]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        kind = _("Credit note") if self.is_credit_note else _("Invoice")
        if self.number:
            return f"{kind} {self.number}"
        return _("Draft %(kind)s (id %(id)s)") % {"kind": kind.lower(), "id": self.pk or "new"}

    @property
    def is_credit_note(self) -> bool:
        return self.credited_invoice_id is not None

    @property
    def is_finalized(self) -> bool:
        return self.state == self.State.FINALIZED

    def is_locked_in_database(self) -> bool:
        """Whether the stored row is finalized: then nothing but payments may change."""
        if getattr(self, "_held_draft", False):
            return False  # invoice_finalize holds the row, locked and read as a draft
        return (
            bool(self.pk)
            and type(self).objects.filter(pk=self.pk, state=self.State.FINALIZED).exists()
        )

    def check_editable(self) -> None:
        if self.is_locked_in_database():
            raise InvoiceLocked(
                _("a finalized invoice cannot be changed; credit it instead."), record=self
            )

    @property
    def totals(self) -> money.Totals:
        return money.sum_totals(
            (line.amount_excl_vat, line.vat_amount) for line in self.lines.all()
        )

    def clean(self) -> None:
        self.check_editable()
        errors = self.cross_client_errors()
        validate_currency_code(self, "currency_code", errors)
        business_date_errors(self, "invoice_date", errors)
        if self.due_date and self.invoice_date and self.due_date < self.invoice_date:
            errors.setdefault("due_date", []).append(
                _("%(record)s: due date is before the invoice date.") % {"record": self.label}
            )
        if self.credited_invoice_id and "credited_invoice" not in errors:
            self._clean_credited_invoice(errors)
        raise_if(errors)

    def _clean_credited_invoice(self, errors: dict) -> None:
        original = self.credited_invoice
        problem = None
        if original.pk == self.pk or original.is_credit_note:
            problem = _("%(record)s: credited invoice %(other)s is itself a credit note.")
        elif original.customer_id != self.customer_id:
            problem = _("%(record)s: credited invoice %(other)s belongs to another customer.")
        elif not original.is_finalized:
            problem = _("%(record)s: credited invoice %(other)s is not finalized.")
        if problem:
            errors.setdefault("credited_invoice", []).append(
                problem % {"record": self.label, "other": original.label}
            )


class InvoiceLine(ClientOwned):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    line_no = models.PositiveSmallIntegerField(
        _("line"),
        null=True,
        blank=True,
        help_text=_("Position on the invoice; next free if blank."),
    )
    description = models.CharField(_("description"), max_length=255)
    product = models.ForeignKey(
        "accounting.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    account = models.ForeignKey(
        "accounting.Account",
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        verbose_name=_("account"),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=percent_validators,
    )
    vat_code = models.ForeignKey(
        "accounting.VatCode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("VAT code"),
    )
    non_income_account_confirmed = models.BooleanField(
        _("non-income account confirmed"),
        default=False,
        help_text=_(
            "A person confirmed that this sales line belongs on an account outside the income "
            "range that is not marked usable for sales (the admin asks; the API and imports "
            "never confirm)."
        ),
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, editable=False, default=Decimal("0")
    )
    amount_excl_vat = models.DecimalField(_("amount excl. VAT"), editable=False, **amount_kwargs)
    vat_amount = models.DecimalField(_("VAT"), editable=False, **amount_kwargs)
    amount_incl_vat = models.DecimalField(_("amount incl. VAT"), editable=False, **amount_kwargs)

    label_field = None

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "line_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "line_no"],
                name="invoiceline_unique_line_no",
                violation_error_message=_("line number is already used on this invoice."),
            )
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def label(self) -> str:
        invoice = self.invoice.label if self.invoice_id else _("Invoice")
        return _("%(invoice)s line %(no)s") % {"invoice": invoice, "no": self.line_no or _("(new)")}

    def clean(self) -> None:
        if self.invoice_id:
            self.client_id = self.client_id or self.invoice.client_id
            self.invoice.check_editable()
            if not self.line_no:
                last = self.invoice.lines.exclude(pk=self.pk).aggregate(m=models.Max("line_no"))[
                    "m"
                ]
                self.line_no = (last or 0) + 1
        errors = self.cross_client_errors()
        self._clean_amount_inputs(errors)
        raise_if(errors)
        if self._amount_inputs_bounded() and self.account_id:
            self.compute_amounts()

    @staticmethod
    def _finite(value) -> bool:
        return isinstance(value, Decimal) and value.is_finite()

    def _amount_inputs_bounded(self) -> bool:
        """Whether quantity, unit price and discount are finite decimals within their fields'
        digits (clean_fields reports those that are not; amounts are not computed from them)."""
        for name in ("quantity", "unit_price", "discount_percent"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                return False
            try:
                self._meta.get_field(name).run_validators(value)
            except ValidationError:
                return False
        return True

    def _clean_amount_inputs(self, errors: dict) -> None:
        is_credit = self.invoice_id and self.invoice.is_credit_note
        if isinstance(self.quantity, Decimal) and self.quantity.is_zero():
            errors.setdefault("quantity", []).append(
                _("%(record)s: quantity is 0; leave the line out instead.") % {"record": self.label}
            )
        if (
            self.account_id
            and not self.account.is_for_sales
            and not self.non_income_account_confirmed
        ):
            first, last = settings.SALES_ACCOUNT_RANGE
            errors.setdefault("account", []).append(
                _(
                    "%(record)s: account %(account)s is not an income account (%(first)s–%(last)s)"
                    "; mark it usable for sales if sales belong on it, or (in the admin) confirm "
                    "the line."
                )
                % {
                    "record": self.label,
                    "account": self.account.number,
                    "first": first,
                    "last": last,
                }
            )
        if self._finite(self.quantity) and self.quantity < 0 and not is_credit:
            errors.setdefault("quantity", []).append(
                _("%(record)s: quantity cannot be negative on an invoice (only on a credit note).")
                % {"record": self.label}
            )
        if self.account_id and "account" not in errors and self.account.vat_code_id is None:
            errors.setdefault("account", []).append(
                _("%(record)s: account %(account)s has no VAT code, so the VAT rate is unknown.")
                % {"record": self.label, "account": self.account.number}
            )

    def compute_amounts(self) -> None:
        """Derive VAT code, rate and amounts from the account and the inputs (rounded to øre)."""
        self.vat_code = self.account.vat_code
        self.vat_rate = self.vat_code.rate
        self.amount_excl_vat = money.line_amount(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
        )
        self.vat_amount = money.vat_on(amount_excl_vat=self.amount_excl_vat, vat_rate=self.vat_rate)
        self.amount_incl_vat = self.amount_excl_vat + self.vat_amount
