"""The payment rail behind small payouts, as an adapter a real rail (WeChat 商家转账, Alipay 转账) implements.

A provider accepts a transfer under a business key (`ref`) and answers later: by a signed callback to
`gateway/callback/` or when asked (`query`, used by the settle sweep: the recovery path when a
callback or a task is lost). Submitting the same `ref` twice never pays twice. Its error codes are
classified (`classify`): buyer-fixable (→ account card), transient (→ resubmit under the same ref),
terminal (→ failed).
"""

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core.clock import now
from core.signing import hmac_signature, hmac_verify


@dataclass(frozen=True)
class Transfer:
    ref: str
    payout_id: int
    amount: Decimal
    buyer: str
    account: str = ""  # an account the buyer submitted on a card (PAY-C02)
    account_kind: str = ""  # its kind on the card: "alipay" or "bank_card"
    account_name: str = ""  # the holder's name on the card
    account_bank: str = ""  # the card's bank (a bank card on the account card, PAY-B02)


@dataclass(frozen=True)
class ProviderResult:
    status: str  # "processing", "succeeded", "failed"
    error_code: str = ""


class SubmissionRefused(Exception):
    """The rail did not accept a submission (busy, unreachable): nothing was sent, the payout is pending
    (PAY-S01) until the operator continues it or the clock submits it again (PAY-S02)."""

    def __init__(self, code: str = "SYSTEM_BUSY"):
        super().__init__(code)
        self.code = code


class ErrorClass(enum.Enum):
    BUYER_FIXABLE = "buyer_fixable"
    TRANSIENT = "transient"
    TERMINAL = "terminal"


# The rails' failure codes, by what the product does about them. Unknown codes are terminal: a payout is
# never retried blindly.
ERROR_CLASSES = {
    "ACCOUNT_INVALID": ErrorClass.BUYER_FIXABLE,
    "NAME_MISMATCH": ErrorClass.BUYER_FIXABLE,
    "ACCOUNT_FROZEN": ErrorClass.BUYER_FIXABLE,
    "SYSTEM_BUSY": ErrorClass.TRANSIENT,
    "TIMEOUT": ErrorClass.TRANSIENT,
    "FREQUENCY_LIMITED": ErrorClass.TRANSIENT,
    "RISK_REJECTED": ErrorClass.TERMINAL,
    "QUOTA_EXCEEDED": ErrorClass.TERMINAL,
}
# A real rail adds its own codes here when it loads (payouts.rails: WECHAT_<fail_reason>, ALIPAY_<sub_code>).


def classify(error_code: str) -> ErrorClass:
    return ERROR_CLASSES.get(error_code, ErrorClass.TERMINAL)


class PaymentProvider(Protocol):
    def submit(self, transfer: Transfer) -> None: ...

    def query(self, ref: str) -> ProviderResult: ...

    def top_up_qr_content(self, *, payout_id: int, channel: str, amount: Decimal) -> str:
        """What the QR code of a scan payout's top-up encodes (PAY-Q01)."""
        ...


class SandboxProvider:
    """Behaves like the real rails for demos and tests (API.md): `ok` wallets succeed, `invalid_account`
    wallets fail with ACCOUNT_INVALID until the buyer submits an account card, `no_answer` wallets stay
    processing, `rail_busy` wallets refuse the first submission of each payout as busy (the payout is
    pending, PAY-S01) and accept every later one, which succeeds. A card account ending in 0000 is refused
    too, so a failed retry can be shown.

    Everything sandbox-only (the buyers' `sandbox_wallet`, the `sandbox://` QR links, its book) is read here and
    nowhere in the services."""

    def submit(self, transfer: Transfer) -> None:
        from .models import SandboxTransfer

        if (not transfer.account and self._wallet(transfer) == "rail_busy"
                and not SandboxTransfer.objects.filter(payout_id=transfer.payout_id).exists()):
            # The refusal is booked so that only the payout's first submission is refused.
            SandboxTransfer.objects.get_or_create(
                ref=transfer.ref, defaults={"payout_id": transfer.payout_id, "amount": transfer.amount,
                                            "status": "refused:SYSTEM_BUSY", "created_at": now()})
            raise SubmissionRefused("SYSTEM_BUSY")
        SandboxTransfer.objects.get_or_create(
            ref=transfer.ref,
            defaults={"payout_id": transfer.payout_id, "amount": transfer.amount, "account": transfer.account,
                      "status": self._decide(transfer), "created_at": now()},
        )

    def query(self, ref: str) -> ProviderResult:
        from .models import SandboxTransfer

        transfer = SandboxTransfer.objects.filter(ref=ref).first()
        if transfer is None:
            return ProviderResult("failed", "NOT_FOUND")
        status, _, code = transfer.status.partition(":")
        return ProviderResult(status, code)

    def top_up_qr_content(self, *, payout_id: int, channel: str, amount: Decimal) -> str:
        return f"sandbox://{channel}/pay?payout={payout_id}&amount={amount}"

    @staticmethod
    def _wallet(transfer: Transfer) -> str | None:
        from .models import Payout

        wallets = Payout.objects.filter(pk=transfer.payout_id).values_list("order__buyer__sandbox_wallet", flat=True)
        return wallets.first()

    @classmethod
    def _decide(cls, transfer: Transfer) -> str:
        if transfer.account:
            return "failed:ACCOUNT_INVALID" if transfer.account.endswith("0000") else "succeeded"
        return {"ok": "succeeded", "rail_busy": "succeeded",
                "invalid_account": "failed:ACCOUNT_INVALID"}.get(cls._wallet(transfer), "processing")


def get_provider() -> PaymentProvider:
    return import_string(settings.PAYOUT_PROVIDER)()


# Resolvers of a shop's own rail (payouts.rails registers one): shop id → provider, or None for the default.
SHOP_PROVIDERS: list = []


def provider_for(shop_id: int | None) -> PaymentProvider:
    """The rail a shop's payouts use: the one platform staff configured for it (payouts.rails), else the
    default (settings.PAYOUT_PROVIDER, the sandbox)."""
    for resolve in SHOP_PROVIDERS:
        provider = resolve(shop_id)
        if provider is not None:
            return provider
    return get_provider()


def callback_signature(*, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the shared secret (PAYOUT_CALLBACK_SECRET)."""
    return hmac_signature(secret=settings.PAYOUT_CALLBACK_SECRET, timestamp=timestamp, body=body)


def callback_verify(*, timestamp: str | None, signature: str | None, body: bytes) -> bool:
    """A callback is authentic when signed with the secret and no older (or newer) than the tolerance; the
    timestamp is parsed strictly (SEC-04, core.signing)."""
    return hmac_verify(secret=settings.PAYOUT_CALLBACK_SECRET, timestamp=timestamp, signature=signature, body=body,
                       tolerance_seconds=settings.PAYOUT_CALLBACK_TOLERANCE_SECONDS)
