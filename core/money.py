"""Money is CNY with two decimals, always Decimal, never float."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# SEC-05: a plain decimal in ASCII digits with at most two places. No exponent ("1E2"), no full-width digits
# ("１.００", which Decimal() would accept), no NaN or infinity, no thousands separators.
_PLAIN = re.compile(r"[+-]?[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | str | int) -> Decimal:
    """Round to cents (half up). Floats are refused: they cannot carry money exactly."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: object) -> Decimal:
    """Parse a wire value strictly (SEC-05): `"12.50"`, `"12.5"`, `12`, or a JSON number that the API's parser
    read as a Decimal (`12.5`); at most two places. Exponents, full-width digits, NaN, infinities, floats and
    booleans are refused.

    Raises ValueError with a short reason; never rounds silently.
    """
    if isinstance(value, bool) or isinstance(value, float) or value is None:
        raise ValueError("not a decimal")
    if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent > 0:
        raise ValueError("not a decimal")  # a JSON number written with an exponent (1E2)
    if isinstance(value, Decimal | int):
        text = format(value, "f") if isinstance(value, Decimal) and value.is_finite() else str(value)
    elif isinstance(value, str):
        text = value.strip(" \t")
    else:
        raise ValueError("not a decimal")
    if not _PLAIN.fullmatch(text):
        if re.fullmatch(r"[+-]?[0-9]+\.[0-9]{3,}", text, re.ASCII):
            raise ValueError("more than two decimal places")
        if re.fullmatch(r"[+-]?[0-9]{13,}(?:\.[0-9]*)?", text, re.ASCII):
            raise ValueError("too large")
        raise ValueError("not a decimal")
    try:
        return Decimal(text).quantize(CENT)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError("not a decimal") from None


MONEY_ERROR_ZH = "金额须为不超过两位小数的数字"


def money_form_field(*, places_checked_by_service: bool = False, **kwargs):
    """The admin forms' amount field: the same strict parsing as the API (SEC-05). With
    `places_checked_by_service`, a plain decimal with more places passes to the service, whose refusal names
    the platform's own minimum (PAY-L10)."""
    from django import forms
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext_lazy as _

    class MoneyFormField(forms.DecimalField):
        def to_python(self, value):
            if value in self.empty_values:
                return None
            try:
                return parse_money(value)
            except ValueError as exc:
                if places_checked_by_service and str(exc) == "more than two decimal places":
                    return Decimal(str(value).strip(" \t"))
                raise ValidationError(_("Enter a plain amount with at most two decimal places, e.g. 12.50."),
                                      code="invalid") from None

    kwargs.setdefault("max_digits", 14)
    if not places_checked_by_service:
        kwargs.setdefault("decimal_places", 2)
    return MoneyFormField(**kwargs)
