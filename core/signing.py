"""Signed callbacks (payment rail, couriers): HMAC-SHA256 over "<timestamp>.<body>" with a shared secret."""

import hashlib
import hmac

from .clock import now

MAX_TIMESTAMP_DIGITS = 12


def timestamp_seconds(value: str | None) -> int | None:
    """A callback's timestamp, strictly (SEC-04): ASCII digits of a plausible length, or None. A 400-digit
    timestamp used to overflow a float comparison into a 500."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > MAX_TIMESTAMP_DIGITS:
        return None
    return int(value)


def hmac_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def hmac_verify(*, secret: str | None, timestamp: str | None, signature: str | None, body: bytes,
                tolerance_seconds: int) -> bool:
    """Authentic when signed with `secret` and sent within the tolerance (either way) of now."""
    sent = timestamp_seconds(timestamp)
    if not secret or sent is None or not signature or abs(now().timestamp() - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(hmac_signature(secret=secret, timestamp=timestamp, body=body), signature)
