"""Text the product will not take in: NUL characters and lone surrogates (SEC-04; issue 22 item 2).

PostgreSQL refuses both in `text` and `jsonb` (a NUL cannot be stored; `\\ud800` alone is not a character),
and Python cannot encode a lone surrogate to UTF-8: let either through and some later write or digest answers
500. They mean nothing to the product, so they are refused where input enters — the request's path, query
string and headers (`core.middleware.RefuseUnsafeTextMiddleware`) and its JSON body
(`core.parsers.StrictJSONParser`, which sees `\\u0000` and `\\ud800` escapes once decoded) — with a 400
`invalid` naming where. `json_safe()` is the belt to those braces for anything the product stores that echoes
input back (the stored answers of `Idempotency-Key`).
"""

import re
from typing import Any

# A valid surrogate pair in JSON decodes to one astral character, so any surrogate left is a lone one.
UNSAFE = re.compile("[\x00\ud800-\udfff]")
REASON = "NUL characters and lone surrogates are not accepted"
REPLACEMENT = "\ufffd"


def is_unsafe(text: str) -> bool:
    return bool(UNSAFE.search(text))


def unsafe_places(value: Any, where: str = "") -> list[str]:
    """Where in `value` (a string, or JSON-like dicts and lists, keys included) unsafe text is: dotted paths."""
    found: list[str] = []
    stack = [(value, where)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            if is_unsafe(item):
                found.append(place or "value")
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = str(key)
                if is_unsafe(name):
                    found.append(f"{place}.{REPLACEMENT}" if place else "key")
                    name = UNSAFE.sub(REPLACEMENT, name)
                stack.append((sub, f"{place}.{name}" if place else name))
        elif isinstance(item, list | tuple):
            stack.extend((sub, f"{place}.{i}" if place else str(i)) for i, sub in enumerate(item))
    return sorted(found)


def json_safe(value: Any) -> Any:
    """`value` with every unsafe character of its strings (and keys) replaced by U+FFFD: storable in jsonb."""
    if isinstance(value, str):
        return UNSAFE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {json_safe(k) if isinstance(k, str) else k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def utf8(text: str) -> bytes:
    """`text` as UTF-8 whatever it holds (a lone surrogate is kept, as surrogatepass writes it): for digests."""
    return text.encode("utf-8", "surrogatepass")
