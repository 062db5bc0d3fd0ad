from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
