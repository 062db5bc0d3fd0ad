"""Field checks shared by several models; each message names the record and the field."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounting.codes import is_country_code, is_currency_code


def validate_country_code(record, field: str, errors: dict) -> None:
    """Adds an error naming the record when `field` is not an ISO 3166-1 alpha-2 code."""
    value = (getattr(record, field) or "").strip().upper()
    setattr(record, field, value)
    if value and not is_country_code(value):
        errors.setdefault(field, []).append(
            _(
                "%(record)s: country code '%(value)s' is not an ISO 3166-1 alpha-2 code "
                "(e.g. NO, SE)."
            )
            % {"record": record.label, "value": value}
        )


def validate_currency_code(record, field: str, errors: dict) -> None:
    """Adds an error naming the record when `field` is not an ISO 4217 currency code."""
    value = (getattr(record, field) or "").strip().upper()
    setattr(record, field, value)
    if value and not is_currency_code(value):
        errors.setdefault(field, []).append(
            _("%(record)s: currency code '%(value)s' is not an ISO 4217 code (e.g. NOK, EUR).")
            % {"record": record.label, "value": value}
        )


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
