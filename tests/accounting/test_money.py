from decimal import Decimal

import pytest

from accounting import money

D = Decimal


class TestRoundMoney:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("0.005", "0.01"),
            ("0.004", "0.00"),
            ("-0.005", "-0.01"),
            ("10.125", "10.13"),
            ("3", "3.00"),
        ],
    )
    def test_rounds_to_ore_with_halves_away_from_zero(self, value, expected):
        assert money.round_money(D(value)) == D(expected)

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            money.round_money(0.1)


class TestLineAmounts:
    def test_line_amount_applies_discount_then_rounds(self):
        # 3 × 33.33 = 99.99, less 10 % = 89.991 → 89.99
        assert money.line_amount(
            quantity=D("3"), unit_price=D("33.33"), discount_percent=D("10")
        ) == D("89.99")

    def test_negated_line_is_exact_negation(self):
        positive = money.line_amount(quantity=D("1.5"), unit_price=D("0.33"))
        negative = money.line_amount(quantity=D("-1.5"), unit_price=D("0.33"))
        assert positive == D("0.50") and negative == D("-0.50")

    def test_vat_on_amount_rounds_to_ore(self):
        assert money.vat_on(amount_excl_vat=D("99.98"), vat_rate=D("25")) == D("25.00")
        assert money.vat_on(amount_excl_vat=D("10.10"), vat_rate=D("15")) == D("1.52")

    def test_split_vat_parts_add_up_to_the_amount(self):
        excl, vat = money.split_vat(amount_incl_vat=D("1250.00"), vat_rate=D("25"))
        assert (excl, vat) == (D("1000.00"), D("250.00"))
        excl, vat = money.split_vat(amount_incl_vat=D("99.99"), vat_rate=D("15"))
        assert excl + vat == D("99.99") and vat == D("13.04")

    def test_sum_totals_adds_rounded_parts(self):
        totals = money.sum_totals([(D("100.00"), D("25.00")), (D("10.00"), D("1.50"))])
        assert totals.amount_excl_vat == D("110.00")
        assert totals.vat_amount == D("26.50")
        assert totals.amount_incl_vat == D("136.50")

    def test_convert_uses_rate_and_rounds(self):
        assert money.convert(amount=D("100.00"), rate=D("11.234567")) == D("1123.46")
