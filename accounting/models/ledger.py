"""The account plan: VAT codes, accounts and departments."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ClientOwned, unique_per_client
from .validation import raise_if, vat_rate_errors

#: Account numbers of the Norwegian standard account plan (NS 4102): four digits.
ACCOUNT_NUMBERS = (1000, 9999)

numeric_code_validator = RegexValidator(r"^\d+$", _("Use digits only."))


class VatCode(ClientOwned):
    """A VAT code of the client's accounting system, with the rate used in invoice totals."""

    code = models.CharField(_("code"), max_length=10, validators=[numeric_code_validator])
    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Percentage, e.g. 25.00 for 25 %."),
    )

    label_field = "code"

    class Meta:
        verbose_name = _("VAT code")
        verbose_name_plural = _("VAT codes")
        ordering = ["client", "code"]
        constraints = [
            unique_per_client(
                "vatcode",
                "code",
                message=_("code is already used by another VAT code of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.rate} %)"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        vat_rate_errors(self, "rate", errors)
        raise_if(errors)


class Account(ClientOwned):
    """An account of the client's account plan; must match the accounting system's plan."""

    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    external_vat_code = models.CharField(
        _("external VAT code"),
        max_length=10,
        blank=True,
        validators=[numeric_code_validator],
        help_text=_(
            "The VAT code of this account in the accounting system (numeric). Invoices with "
            "lines on an account without it cannot be transferred. Filled from the VAT code "
            "when left empty; the two must name the same code."
        ),
    )
    vat_code = models.ForeignKey(
        VatCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("VAT code"),
        help_text=_(
            "The VAT rate used for invoice lines on this account. Found from the external VAT "
            "code when left empty."
        ),
    )
    usable_for_sales = models.BooleanField(
        _("usable for sales"),
        default=False,
        help_text=_(
            "Allow invoice lines on this account although it lies outside the income accounts "
            "(3000–3999)."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "account",
                "number",
                message=_("number is already used by another account of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        if self.number is not None and not ACCOUNT_NUMBERS[0] <= self.number <= ACCOUNT_NUMBERS[1]:
            errors.setdefault("number", []).append(
                _("%(record)s: account number %(value)s is not 4 digits (1000–9999).")
                % {"record": self.label, "value": self.number}
            )
        if "vat_code" not in errors:
            self._vat_codes_agree(errors)
        raise_if(errors)

    def _vat_codes_agree(self, errors: dict) -> None:
        """The VAT code and the external VAT code name one code: either one fills the other;
        two different codes are refused."""
        external = (self.external_vat_code or "").strip()
        if self.vat_code_id is None:
            if external and self.client_id:
                self.vat_code = VatCode.objects.filter(client_id=self.client_id,
                                                       code=external).first()  # fmt: skip
            return
        if not external:
            self.external_vat_code = self.vat_code.code
        elif external != self.vat_code.code:
            errors.setdefault("external_vat_code", []).append(
                _(
                    "%(record)s: external VAT code %(external)s contradicts VAT code %(code)s; "
                    "give the same code in both, or leave one empty."
                )
                % {"record": self.label, "external": external, "code": self.vat_code.code}
            )

    @property
    def is_for_sales(self) -> bool:
        """Whether invoice lines may be posted on it: an income account, or one marked so."""
        first, last = settings.SALES_ACCOUNT_RANGE
        return self.usable_for_sales or first <= self.number <= last


class Department(ClientOwned):
    """A department (cost centre) of the client."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    manager = models.ForeignKey(
        "accounting.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("manager"),
    )
    active = models.BooleanField(_("active"), default=True)

    label_field = "code"

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["client", "code"]
        constraints = [
            unique_per_client(
                "department",
                "code",
                message=_("code is already used by another department of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
