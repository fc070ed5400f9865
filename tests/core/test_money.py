from decimal import Decimal

import pytest

from core.money import money, parse_money


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("12.50", Decimal("12.50")), ("0.01", Decimal("0.01")), ("7", Decimal("7.00")), (" 3.1 ", Decimal("3.10"))],
)
def test_parse_money_accepts_two_decimal_strings(wire, expected):
    assert parse_money(wire) == expected


@pytest.mark.parametrize("wire", ["1.005", "abc", "", "NaN", "Infinity", None, 1.5, True, "1e400000"])
def test_parse_money_refuses_what_is_not_an_exact_cent_amount(wire):
    with pytest.raises(ValueError):
        parse_money(wire)


def test_money_rounds_half_up_and_refuses_floats():
    assert money(Decimal("2.345")) == Decimal("2.35")
    with pytest.raises(TypeError):
        money(0.1)
