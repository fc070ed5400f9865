"""Courier interception APIs behind one interface; the product ships a sandbox courier (SPEC §9).

A real courier's adapter implements `CourierAdapter` and is named in its `orders.couriers.COURIERS` entry.
Sandbox behaviour (when a parcel "comes back") lives here only; the services ask the adapter.
The services call `submit` and `poll` OUTSIDE any transaction (network calls never hold row locks),
then apply what the courier said under the locks, re-checking the status: a result that arrives twice
(sweep and callback, two sweeps) is applied once.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.utils.module_loading import import_string

from core.clock import now
from core.signing import hmac_signature, hmac_verify
from orders.couriers import COURIERS

# The sandbox reports the return leg as `returned` this long after the interception succeeded, unless an
# outlet user reported first (API.md).
SANDBOX_RETURN_AFTER = dt.timedelta(days=3)


@dataclass(frozen=True)
class InterceptionResult:
    succeeded: bool
    failure_reason: str = ""


class CourierAdapter(Protocol):
    def submit(self, *, interception) -> str:
        """Ask the courier to intercept the parcel; returns the courier's reference. Must be idempotent
        by `interception.pk` (a crash between submit and saving the reference submits again)."""

    def poll(self, *, interception) -> InterceptionResult | None:
        """The interception result, or None while the courier has not answered."""

    def poll_return(self, *, interception) -> str | None:
        """The return leg's end (`returned`, `lost`, `damaged`), or None while the parcel travels back."""

    def return_expected_at(self, *, interception) -> dt.datetime:
        """When to ask about the return leg first, for an interception that just succeeded (`succeeded_at`)."""


class SandboxCourier:
    """Behaves like a courier: answers asynchronously (the next sweep), fails parcels that were signed,
    went out for delivery or were lost before the courier acted, and brings intercepted parcels back
    after three days."""

    FAILURES = {
        "signed": "parcel_already_signed",
        "out_for_delivery": "parcel_out_for_delivery",
        "lost": "parcel_lost",
        "returning": "parcel_already_returning",
        "returned": "parcel_already_returning",
    }

    def __init__(self, courier: str) -> None:
        self.courier = courier

    def submit(self, *, interception) -> str:
        return f"SBX-{self.courier.upper()}-{interception.pk}"

    def poll(self, *, interception) -> InterceptionResult | None:
        from orders.models import Parcel

        status = Parcel.objects.values_list("status", flat=True).get(pk=interception.parcel_id)
        if status == Parcel.Status.IN_TRANSIT:
            return InterceptionResult(succeeded=True)
        return InterceptionResult(succeeded=False, failure_reason=self.FAILURES.get(status, "courier_refused"))

    def poll_return(self, *, interception) -> str | None:
        if interception.succeeded_at and now() >= interception.succeeded_at + SANDBOX_RETURN_AFTER:
            return "returned"
        return None

    def return_expected_at(self, *, interception) -> dt.datetime:
        return interception.succeeded_at + SANDBOX_RETURN_AFTER


def adapter_for(courier: str) -> CourierAdapter:
    return import_string(COURIERS[courier].adapter)(courier)


# --- Signed courier callbacks ----------------------------------------------------------------------
# A courier that pushes results calls POST /api/v1/courier/callback/ with headers X-Courier-Timestamp
# (unix seconds) and X-Courier-Signature = HMAC-SHA256(secret, "<timestamp>.<body>"). The secret is the
# COURIER_CALLBACK_SECRET setting (or environment variable); without one the endpoint is disabled.

CALLBACK_TOLERANCE_SECONDS = 300


def courier_callback_secret() -> str | None:
    import os

    from django.conf import settings

    return getattr(settings, "COURIER_CALLBACK_SECRET", None) or os.environ.get("COURIER_CALLBACK_SECRET") or None


def courier_callback_signature(*, timestamp: str, body: bytes, secret: str) -> str:
    return hmac_signature(secret=secret, timestamp=timestamp, body=body)


def courier_callback_verify(*, timestamp: str | None, signature: str | None, body: bytes) -> bool:
    """SEC-04: the timestamp is parsed strictly (core.signing)."""
    return hmac_verify(secret=courier_callback_secret(), timestamp=timestamp, signature=signature, body=body,
                       tolerance_seconds=CALLBACK_TOLERANCE_SECONDS)
