from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..references import reference_code_new
from .base import TimeStamped
from .validation import org_number_errors, org_number_normalize, raise_if


class OrganizationNumberField(models.CharField):
    """An organization number as people type it ("923 456 789"): spaces, dots and dashes are
    dropped before validation, and the form field takes the typed length (never cut to 9)."""

    def to_python(self, value):
        value = super().to_python(value)
        return org_number_normalize(value) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"max_length": max(self.max_length, 20), **kwargs})


bank_account_validator = RegexValidator(
    r"^\d{4}\.?\d{2}\.?\d{5}$",
    _("A Norwegian bank account number has 11 digits (e.g. 1503.12.34567)."),
)


def client_logo_path(client: "Client", filename: str) -> str:
    return f"clients/{client.pk or 'new'}/logo/{filename}"


class Client(TimeStamped):
    """The company whose books Ledgerbridge feeds. Every other record belongs to one client."""

    name = models.CharField(_("name"), max_length=200)
    organization_number = OrganizationNumberField(
        _("organization number"),
        max_length=9,
        unique=True,
        help_text=_("9 digits, e.g. 923 456 783."),
    )
    reference_code = models.CharField(
        _("reference code"),
        max_length=8,
        unique=True,
        editable=False,
        default=reference_code_new,
        help_text=_(
            "Given once, never changed: part of every reference sent with this client's "
            "documents, so a corrected organization number never makes a document look new."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    expenses_billable_default = models.BooleanField(
        _("imported expenses billable by default"),
        default=False,
        help_text=_(
            "Whether expenses imported from the accounting system are billable, unless "
            "a project says otherwise."
        ),
    )
    next_invoice_number = models.PositiveBigIntegerField(
        _("next invoice number"),
        default=10001,
        help_text=_(
            "Number given to the next finalized invoice or credit note. Numbers already "
            "used are skipped."
        ),
    )

    # -- printed on the client's invoice PDFs ------------------------------------------------
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    bank_account = models.CharField(
        _("bank account"),
        max_length=13,
        blank=True,
        validators=[bank_account_validator],
        help_text=_("Printed on invoices with the KID, where the customer pays."),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to=client_logo_path,
        blank=True,
        help_text=_("PNG or JPEG, printed at the top of the invoices."),
    )
    invoice_language = models.CharField(
        _("invoice language"),
        max_length=5,
        choices=[("nb", _("Norwegian Bokmål")), ("en", _("English"))],
        default="nb",
        help_text=_("The language of the invoice PDFs Ledgerbridge draws for this client."),
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return str(_("Client %(name)s") % {"name": self.name or self.organization_number})

    def clean(self) -> None:
        errors: dict = {}
        org_number_errors(self, "organization_number", errors)
        raise_if(errors)
