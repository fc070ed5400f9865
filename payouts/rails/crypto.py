"""Credentials at rest: one Fernet token per shop rail, keys from the environment.

`PAYMENT_RAIL_KEYS` (settings, from the env var of the same name) is a comma-separated list of Fernet keys:
the first seals, every one opens (`MultiFernet`), so a key is rotated by putting the new key first, running
`manage.py rail_rekey` (re-seals every row with it) and then dropping the old key.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SealError(Exception):
    """The stored credentials cannot be opened with the configured keys."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "PAYMENT_RAIL_KEYS", []) if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured("PAYMENT_RAIL_KEYS is not set: rail credentials cannot be sealed or opened")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"PAYMENT_RAIL_KEYS holds an invalid Fernet key: {exc}") from exc


def keys_configured() -> bool:
    try:
        _fernet()
    except ImproperlyConfigured:
        return False
    return True


def seal(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SealError("rail credentials cannot be opened with PAYMENT_RAIL_KEYS") from exc


def reseal(token: str) -> str:
    """The same credentials sealed with the first (newest) key."""
    return _fernet().rotate(token.encode()).decode() if token else token
