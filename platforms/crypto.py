"""Platform tokens at rest: sealed with the project's Fernet keys (`PAYMENT_RAIL_KEYS`, newest first — the same
keys and rotation as the rails' credentials, docs/payment-rails.md). The first key seals, every key opens."""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SealError(Exception):
    """The stored tokens cannot be opened with the configured keys."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "PAYMENT_RAIL_KEYS", []) if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured("PAYMENT_RAIL_KEYS is not set: platform tokens cannot be sealed or opened")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"PAYMENT_RAIL_KEYS holds an invalid Fernet key: {exc}") from exc


def seal(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SealError("platform tokens cannot be opened with PAYMENT_RAIL_KEYS") from exc
