"""The API's JSON parser (SEC-04, SEC-05): bounded nesting, numbers with a fraction read as Decimal.

Deeply nested input (`'[' * 5000`) would otherwise raise RecursionError inside the json module, a 500;
here it is a ParseError, which the exception handler answers as 400 `invalid`. Numbers with a fraction
are read as `Decimal`, so `12.5` reaches the strict money parser exactly (never through a float). A `\u0000`
or a lone `\ud800` escape, decoded, is refused here as 400 `invalid` naming the field (core.text; SEC-04).
"""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from .text import REASON, unsafe_places

MAX_DEPTH = 32


def _too_deep(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _nesting_over(raw: bytes, limit: int) -> bool:
    """Bracket depth outside strings, read before json.loads recurses."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = getattr(settings, "API_JSON_MAX_DEPTH", MAX_DEPTH)
        raw = stream.read() if stream is not None else b""
        if _nesting_over(raw, limit):
            raise ParseError(f"JSON nested deeper than {limit} levels.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant) if raw.strip() else None
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}"[:200]) from None
        if raw.strip() and _too_deep(data, limit):
            raise ParseError(f"JSON nested deeper than {limit} levels.")
        if not raw.strip():
            raise ParseError("Empty body.")
        places = unsafe_places(data)
        if places:
            raise ValidationError({place: [REASON] for place in places[:20]})
        return data
