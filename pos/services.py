"""Write paths of the pos app: recording sales, saving settings, marking sales sent or failed.

The nightly batch itself lives in pos/batch.py; schedules in pos/schedules.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounting.exceptions import errors_to_text
from accounting.models import Client, Customer
from accounting.models.validation import shown

from .exceptions import PosError
from .models import VAT_RATES, PosSale, PosSaleLine, PosSettings

SALE_FIELDS = ("till", "note")


@transaction.atomic
def pos_sale_record(*, client: Client, data: dict[str, Any]) -> tuple[PosSale, bool]:
    """Record one invoice sale from the till; idempotent on (client, sale number).

    `data`: number, sold_at (aware datetime or ISO text), customer (Customer) or customer_number,
    till, note, gratuity_amount, lines: [{description, quantity, amount_incl_vat, vat_rate}].
    A sale already recorded is returned unchanged with created=False. Bad input raises PosError
    naming the sale and the field; nothing is saved then.
    """
    number = str(data.get("number") or "").strip()
    if not number:
        raise PosError(_("the sale number is missing."), field="number")
    existing = PosSale.objects.filter(client=client, number=number).first()
    if existing is not None:
        return existing, False
    sale = PosSale(client=client, number=number, **{f: data.get(f) or "" for f in SALE_FIELDS})
    sale.sold_at = _sold_at(sale, data.get("sold_at"))
    sale.customer = _customer(sale, data)
    sale.gratuity_amount = _decimal(sale, data.get("gratuity_amount") or "0", "gratuity_amount")
    lines = [_line(sale, index, raw) for index, raw in enumerate(data.get("lines") or (), 1)]
    if not lines:
        raise PosError(_("the sale has no lines."), record=sale, field="lines")
    if not sum(line.amount_incl_vat for line in lines) + sale.gratuity_amount:
        raise PosError(_("the sale's total is 0.00."), record=sale, field="lines")
    _full_clean(sale)
    try:
        with transaction.atomic():  # savepoint: the same sale recorded at the same moment
            sale.save()
    except IntegrityError:
        return PosSale.objects.get(client=client, number=number), False
    for line in lines:
        line.sale = sale
    PosSaleLine.objects.bulk_create(lines)
    return sale, True


def _full_clean(obj) -> None:
    try:
        obj.full_clean(exclude=["sale"] if isinstance(obj, PosSaleLine) else None)
    except PosError:
        raise
    except ValidationError as err:
        field = next(iter(getattr(err, "error_dict", {}) or {"__all__": None}))
        text = errors_to_text(err)
        if hasattr(obj, "label") and not text.startswith(str(obj.label)):
            value = getattr(obj, field, "") if field != "__all__" else ""
            text = f"{obj.label}: {field} '{shown(value)}': {text}"
        raise PosError(text, field=field) from err


def _sold_at(sale: PosSale, value: Any) -> dt.datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else value
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if not isinstance(parsed, dt.datetime):
        raise PosError(
            _("sold_at '%(value)s' is not a date and time.") % {"value": shown(value)},
            record=sale,
            field="sold_at",
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _customer(sale: PosSale, data: dict[str, Any]) -> Customer:
    customer = data.get("customer")
    if isinstance(customer, Customer):
        if customer.client_id != sale.client_id:
            raise PosError(
                _("the invoice customer belongs to another client."), record=sale, field="customer"
            )
        return customer
    number = data.get("customer_number")
    found = Customer.objects.filter(client=sale.client, number=number).first() if number else None
    if found is None:
        raise PosError(
            _("invoice customer %(number)s does not exist.") % {"number": number},
            record=sale,
            field="customer",
        )
    return found


def _decimal(sale: PosSale, value: Any, field: str, line_no: int | None = None) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        where = _("line %(no)d: ") % {"no": line_no} if line_no else ""
        raise PosError(
            f"{where}{field} '{shown(value)}' " + _("is not an amount."), record=sale, field=field
        )
    return number


def _given(value: Any, default: str) -> Any:
    """The value sent, or the default when none was (0 is a value: it is refused, not 1)."""
    return default if value is None or value == "" else value


def _line(sale: PosSale, line_no: int, raw: dict[str, Any]) -> PosSaleLine:
    rate = _decimal(sale, raw.get("vat_rate"), "vat_rate", line_no)
    if rate not in VAT_RATES:
        raise PosError(
            _("line %(no)d: VAT rate %(rate)s %% is not one of 0, 12, 15 or 25 %%.")
            % {"no": line_no, "rate": rate},
            record=sale,
            field="lines",
        )
    line = PosSaleLine(
        line_no=line_no,
        description=str(raw.get("description") or ""),
        quantity=_decimal(sale, _given(raw.get("quantity"), "1"), "quantity", line_no),
        amount_incl_vat=_decimal(sale, raw.get("amount_incl_vat"), "amount_incl_vat", line_no),
        vat_rate=int(rate),
    )
    line.sale = sale  # not saved yet: only names the sale in messages
    _full_clean(line)
    return line


@transaction.atomic
def pos_settings_save(*, pos_settings: PosSettings) -> PosSettings:
    """Validate and save a client's POS settings and bring its nightly schedule in step."""
    from .schedules import pos_schedules_sync

    pos_settings.full_clean()
    pos_settings.save()
    pos_schedules_sync(client=pos_settings.client)
    return pos_settings


@transaction.atomic
def pos_sale_mark_sent(*, sale: PosSale, external_id: str) -> PosSale:
    """The sale is a sales order in PowerOffice Go now; it will never be sent again."""
    sale.status = PosSale.Status.SENT
    sale.external_id = str(external_id)
    sale.error = ""
    sale.sent_at = timezone.now()
    sale.save(update_fields=["status", "external_id", "error", "sent_at", "updated_at"])
    return sale


@transaction.atomic
def pos_sale_mark_failed(*, sale: PosSale, error: str) -> PosSale:
    """Sending the sale failed for a reason someone must fix; the next batch tries again."""
    PosSale.objects.filter(pk=sale.pk).exclude(status=PosSale.Status.SENT).update(
        status=PosSale.Status.FAILED, error=error[:2000], updated_at=timezone.now()
    )
    sale.refresh_from_db(fields=["status", "error"])
    return sale
