"""Field checks shared by several models; each message names the record and the field."""

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.codes import is_country_code, is_currency_code
from accounting.exceptions import describe


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


# --- Plain text -------------------------------------------------------------------------------

#: C0 control characters except tab, line feed and carriage return, and DEL. PostgreSQL refuses
#: NUL in text; the others are never typed by a person and break exports and e-mails.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shown(value, limit: int = 40) -> str:
    """A value as quoted in a message: control characters visible, long values shortened."""
    text = str(value).encode("unicode_escape").decode("ascii") if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def control_character_message(record, field_label: str, value) -> str:
    return _("%(record)s: %(field)s '%(value)s' contains control characters (such as NUL).") % {
        "record": describe(record),
        "field": field_label,
        "value": shown(value),
    }


def text_field_errors(record, exclude, errors: dict) -> None:
    """Adds an error for every text field holding control characters (NUL, escape, ...)."""
    for field in record._meta.concrete_fields:
        if field.name in exclude or not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(record, field.attname)
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            errors.setdefault(field.name, []).append(
                control_character_message(record, field.verbose_name, value)
            )


#: Column ranges as PostgreSQL keeps them (SQLite would store larger numbers silently).
INTEGER_RANGES = {
    "SmallIntegerField": (-32768, 32767),
    "PositiveSmallIntegerField": (0, 32767),
    "IntegerField": (-2147483648, 2147483647),
    "PositiveIntegerField": (0, 2147483647),
    "BigIntegerField": (-9223372036854775808, 9223372036854775807),
    "PositiveBigIntegerField": (0, 9223372036854775807),
}


def integer_field_errors(record, exclude, errors: dict) -> None:
    """Adds an error for every whole number outside its column's range (on every database)."""
    for field in record._meta.concrete_fields:
        bounds = INTEGER_RANGES.get(field.get_internal_type())
        value = getattr(record, field.attname)
        if field.name in exclude or bounds is None or field.is_relation:
            continue
        if isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
            errors.setdefault(field.name, []).append(
                _("%(record)s: %(field)s %(value)s is out of range (%(low)s to %(high)s).")
                % {"record": describe(record), "field": field.verbose_name,
                   "value": shown(value), "low": bounds[0], "high": bounds[1]}
            )


# --- Business dates ---------------------------------------------------------------------------


def business_date_bounds() -> tuple[dt.date, dt.date]:
    """The plausible range of dates on invoices, sales and vouchers (settings.BUSINESS_DATE_*)."""
    today = timezone.localdate()
    return settings.BUSINESS_DATE_MIN, today + dt.timedelta(days=settings.BUSINESS_DATE_MAX_AHEAD)


def business_date_errors(record, field: str, errors: dict, *, future: bool = True) -> None:
    """Adds an error when the date (or the local date of the time) in `field` is implausible:
    before settings.BUSINESS_DATE_MIN, more than BUSINESS_DATE_MAX_AHEAD days ahead, or (with
    future=False) after today."""
    value = getattr(record, field)
    if value is None:
        return
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    earliest, latest = business_date_bounds()
    if not future:
        latest = timezone.localdate()
    if earliest <= value <= latest:
        return
    label = record._meta.get_field(field).verbose_name
    errors.setdefault(field, []).append(
        _("%(record)s: %(field)s %(value)s is outside %(earliest)s – %(latest)s.")
        % {
            "record": describe(record),
            "field": label,
            "value": value.isoformat(),
            "earliest": earliest.isoformat(),
            "latest": latest.isoformat(),
        }
    )


# --- Organization numbers ---------------------------------------------------------------------

ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_number_normalize(value: str | None) -> str:
    """'923 456 789' → '923456789': spaces, dots and dashes people type are dropped."""
    return re.sub(r"[\s.\-]", "", value or "")


def org_number_check_digit(first_eight: str) -> int | None:
    """The MOD11 check digit of a Norwegian organization number, None if none exists."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, ORG_NUMBER_WEIGHTS, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return None if check == 10 else check


def org_number_is_valid(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", value)) and org_number_check_digit(value[:8]) == int(
        value[8]
    )


def org_number_errors(record, field: str, errors: dict, *, norwegian: bool = True) -> None:
    """Normalises the number in `field`; a Norwegian one must be 9 digits with a valid MOD11
    check digit, a foreign one (VAT number) letters and digits only."""
    raw = getattr(record, field) or ""
    value = org_number_normalize(raw)
    vat_form = re.fullmatch(r"NO(\d{9})(MVA)?", value.upper())
    if norwegian and vat_form:  # "NO 923 456 783 MVA", the VAT register's form
        value = vat_form.group(1)
    setattr(record, field, value)
    if not value:
        return
    if norwegian and org_number_is_valid(value):
        return
    if not norwegian and re.fullmatch(r"[A-Za-z0-9]{2,30}", value):
        return
    message = (
        _("%(record)s: organization number '%(value)s' is not 9 digits with a valid check digit.")
        if norwegian
        else _("%(record)s: organization number '%(value)s' may hold letters and digits only.")
    )
    errors.setdefault(field, []).append(message % {"record": describe(record), "value": shown(raw)})


# --- VAT rates --------------------------------------------------------------------------------

#: The Norwegian VAT rates (%): general, food, transport/accommodation, raw fish, exempt/zero.
NORWEGIAN_VAT_RATES = (Decimal("25"), Decimal("15"), Decimal("12"), Decimal("11.11"), Decimal("0"))


def vat_rate_errors(record, field: str, errors: dict) -> None:
    value = getattr(record, field)
    if value is None or any(value == rate for rate in NORWEGIAN_VAT_RATES):
        return
    rates = ", ".join(f"{rate.normalize():f}" for rate in NORWEGIAN_VAT_RATES)
    errors.setdefault(field, []).append(
        _("%(record)s: VAT rate %(value)s %% is not a Norwegian VAT rate (%(rates)s %%).")
        % {"record": describe(record), "value": shown(value), "rates": rates}
    )


def client_vat_rate_errors(record, field: str, errors: dict) -> None:
    """The rate in `field` must be the rate of one of the client's VAT codes."""
    from .ledger import VatCode

    value = getattr(record, field)
    if value is None or not record.client_id:
        return
    codes = VatCode.objects.filter(client_id=record.client_id)
    rates = sorted(set(codes.values_list("rate", flat=True)))
    if not rates or any(value == rate for rate in rates):
        return  # a client without VAT codes yet (initial sync): the Norwegian rates apply
    errors.setdefault(field, []).append(
        _("%(record)s: VAT rate %(value)s %% has no VAT code of this client (it has %(rates)s).")
        % {
            "record": describe(record),
            "value": shown(value),
            "rates": ", ".join(f"{rate.normalize():f} %" for rate in rates) or "—",
        }
    )
