"""The refund route behind one interface (SPEC §9): services ask it, never a sandbox field.

A real platform's route implements `RefundRoute` and is named by the `AFTERSALES_REFUND_ROUTE` setting; the
product ships the sandbox route, which reads the buyer's sandbox wallet.
"""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

SANDBOX_ROUTE = "aftersales.adapters.SandboxRefundRoute"


class RefundRoute(Protocol):
    def original_route_failure(self, *, ticket) -> str:
        """Why the original-route refund of `ticket` would fail on the buyer's side (ASE-R03), or "" when it
        goes through."""


class SandboxRefundRoute:
    """The sandbox: a buyer whose sandbox wallet is `invalid_account` cannot be refunded by the original route."""

    def original_route_failure(self, *, ticket) -> str:
        from accounts.models import User

        return "buyer_account_invalid" if ticket.buyer.sandbox_wallet == User.Wallet.INVALID_ACCOUNT else ""


def refund_route() -> RefundRoute:
    return import_string(getattr(settings, "AFTERSALES_REFUND_ROUTE", SANDBOX_ROUTE))()
