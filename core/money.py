"""Money is CNY with two decimals, always Decimal, never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | str | int) -> Decimal:
    """Round to cents (half up). Floats are refused: they cannot carry money exactly."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: object) -> Decimal:
    """Parse a wire value ("12.50") strictly: a finite decimal with at most two places.

    Raises ValueError with a short reason; never rounds silently.
    """
    if isinstance(value, bool) or isinstance(value, float) or value is None:
        raise ValueError("not a decimal")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a decimal") from None
    if not amount.is_finite():
        raise ValueError("not a decimal")
    if abs(amount) >= Decimal("1e12"):
        raise ValueError("too large")
    if amount != amount.quantize(CENT):
        raise ValueError("more than two decimal places")
    return amount.quantize(CENT)
