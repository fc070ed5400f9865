"""The API's amount field (SEC-05): every serializer's money goes through `core.money.parse_money`."""

from rest_framework import serializers

from .money import parse_money


class MoneyField(serializers.DecimalField):
    """A plain decimal with at most two places ("12.50", 12.5 read as a Decimal by core.parsers); exponents,
    full-width digits, NaN and infinities are 400 `invalid`. Written out as a string."""

    default_error_messages = {"invalid": 'A plain decimal number with at most two places, e.g. "12.50".'}

    def __init__(self, **options):
        options.setdefault("max_digits", 14)
        options.setdefault("decimal_places", 2)
        super().__init__(**options)

    def to_internal_value(self, data):
        try:
            value = parse_money(data)
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(value)
