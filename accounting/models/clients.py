from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..references import reference_code_new
from .base import TimeStamped

org_number_validator = RegexValidator(
    r"^\d{9}$", _("A Norwegian organization number has exactly 9 digits.")
)


class Client(TimeStamped):
    """The company whose books Ledgerbridge feeds. Every other record belongs to one client."""

    name = models.CharField(_("name"), max_length=200)
    organization_number = models.CharField(
        _("organization number"),
        max_length=9,
        unique=True,
        validators=[org_number_validator],
        help_text=_("9 digits, no spaces."),
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

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
