"""Money arithmetic for invoices and VAT. The only place rounding rules live.

Norwegian invoices are rounded to øre (two decimals), halves away from zero (ROUND_HALF_UP on
Decimal rounds -0.005 to -0.01), so a credit note is the exact negation of its invoice.
Amounts are computed per line: line amount, then the line's VAT, each rounded; totals are sums.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
_ORE = Decimal("0.01")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from Decimal, int or str. Floats are refused: they cannot hold øre exactly."""
    if isinstance(value, float):
        raise TypeError("Money must never be a float; pass a Decimal or a string.")
    return value if isinstance(value, Decimal) else Decimal(value)


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to øre, halves away from zero."""
    return to_decimal(value).quantize(_ORE, rounding=ROUND_HALF_UP)


def money_display(value: Decimal | int | str | None) -> str:
    """An amount as users read it, in lists, details, e-mails and PDFs alike: rounded to øre,
    always two decimals, the active language's decimal and thousands separators, the sign once
    ("-15 533,85" in bokmål, "-15,533.85" in English); "—" for no amount."""
    from django.utils import formats

    if value is None or value == "":
        return "—"
    amount = round_money(value)
    amount = amount.copy_abs() if amount == 0 else amount  # never "-0.00"
    return formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def line_amount(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO
) -> Decimal:
    """Amount excluding VAT of one invoice line: quantity × unit price less the discount."""
    gross = to_decimal(quantity) * to_decimal(unit_price)
    return round_money(gross * (HUNDRED - to_decimal(discount_percent)) / HUNDRED)


def vat_on(*, amount_excl_vat: Decimal, vat_rate: Decimal) -> Decimal:
    """VAT on an amount excluding VAT, vat_rate a percentage (25 for 25 %)."""
    return round_money(to_decimal(amount_excl_vat) * to_decimal(vat_rate) / HUNDRED)


def split_vat(*, amount_incl_vat: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """Split an amount including VAT into (amount excluding VAT, VAT); the parts add up exactly."""
    incl = round_money(amount_incl_vat)
    rate = to_decimal(vat_rate)
    vat = round_money(incl * rate / (HUNDRED + rate))
    return incl - vat, vat


@dataclass(frozen=True)
class Totals:
    amount_excl_vat: Decimal = ZERO
    vat_amount: Decimal = ZERO

    @property
    def amount_incl_vat(self) -> Decimal:
        return self.amount_excl_vat + self.vat_amount


def sum_totals(parts: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals of already rounded (amount excluding VAT, VAT) pairs."""
    excl, vat = ZERO, ZERO
    for part_excl, part_vat in parts:
        excl += round_money(part_excl)
        vat += round_money(part_vat)
    return Totals(amount_excl_vat=excl, vat_amount=vat)


def convert(*, amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a foreign currency converted at `rate` (NOK per unit), rounded to øre."""
    return round_money(to_decimal(amount) * to_decimal(rate))
