"""The payment rail behind small payouts, as an adapter a real rail (WeChat 商家转账, Alipay 转账) implements
(API.md "The rail seam").

- `submit(transfer)` sends one transfer under `transfer.ref` (the business key) and returns nothing. It raises
  `SubmissionRefused` when the rail refused it **for certain** (nothing exists there: connection refused
  before sending, 429, a documented busy answer with no bill — PAY-S01) and any other exception when the
  outcome is **unknown** (a read timeout, a 5xx or system error after sending, an answer whose signature
  does not verify — PAY-S09): the payout then stays processing under the same key until `query` says.
- `query(ref)` and `cancel(ref)` return the transfer's state (`ProviderResult`; `failed`/`NOT_FOUND` when the
  rail has no such key). `cancel` is optional: a rail without it is asked `query` instead (as the sandbox).

Submitting the same `ref` twice never pays twice. Error codes are classified (`classify`): buyer-fixable
(→ account card), transient (→ the same key again), terminal (→ failed).
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
    user_name: str = ""  # the payee's real name where the rail requires it (WeChat from 2,000.00, PAY-S12)


@dataclass(frozen=True)
class ProviderResult:
    status: str  # "processing", "succeeded", "failed"
    error_code: str = ""
    state: str = ""  # the rail's own state (WeChat WAIT_USER_CONFIRM, CANCELING …), when it says one
    package_info: str = ""  # WeChat WAIT_USER_CONFIRM: what the buyer's confirm step needs (PAY-B04)
    confirm_deadline: object = None  # …and until when (a datetime)
    amount: Decimal | None = None  # the amount the rail reports (callbacks are checked against it, PAY-S11)
    transfer_id: str = ""  # the rail's own id of the transfer (WeChat transfer_bill_no, Alipay pay_fund_order_id)
    paid_at: object = None  # when the rail says it paid (a datetime), for the proof of payment (PAY-R02)

    @property
    def waiting_for_buyer(self) -> bool:
        return self.status == "processing" and bool(self.package_info)


class SubmissionRefused(Exception):
    """The rail refused the submission for certain (busy, rate limited, unreachable before anything was sent):
    nothing exists there, the payout is pending (PAY-S01) until the operator continues it or the clock
    submits it again (PAY-S02) — under the same business key. Any other exception from `submit` is an
    unknown outcome (PAY-S09)."""

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

    def cancel(self, ref: str) -> ProviderResult: ...

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
    nowhere in the services. It runs in the product's process (`in_process`): submitting to it costs one
    INSERT, so it is done right after the commit instead of through a worker (issue 21)."""

    rail_name = "sandbox"
    in_process = True

    # One statement books a submission (issue 21: the in-process submission costs one INSERT): it reads the
    # buyer's wallet and whether the payout was ever submitted, decides as `_decide` does (and as the ORM path
    # below, for SQLite), refuses a `rail_busy` wallet's first submission, and takes the key
    # once — a key booked as refused is taken again, any other booked key stays as it is.
    _SUBMIT_SQL = """
        WITH w AS (SELECT u.sandbox_wallet AS wallet FROM payouts_payout p
                   JOIN orders_order o ON o.id = p.order_id JOIN accounts_user u ON u.id = o.buyer_id
                   WHERE p.id = %(payout)s),
        seen AS (SELECT EXISTS (SELECT 1 FROM payouts_sandboxtransfer WHERE payout_id = %(payout)s) AS any)
        INSERT INTO payouts_sandboxtransfer (ref, payout_id, amount, account, status, created_at)
        SELECT %(ref)s, %(payout)s, %(amount)s, %(account)s,
               CASE WHEN %(account)s <> '' THEN
                        CASE WHEN right(%(account)s, 4) = '0000' THEN 'failed:ACCOUNT_INVALID' ELSE 'succeeded' END
                    WHEN w.wallet = 'rail_busy' AND NOT seen.any THEN 'refused:SYSTEM_BUSY'
                    WHEN w.wallet IN ('ok', 'rail_busy') THEN 'succeeded'
                    WHEN w.wallet = 'invalid_account' THEN 'failed:ACCOUNT_INVALID'
                    ELSE 'processing' END,
               %(at)s
        FROM seen LEFT JOIN w ON true
        ON CONFLICT (ref) DO UPDATE SET status = EXCLUDED.status, account = EXCLUDED.account
            WHERE payouts_sandboxtransfer.status LIKE 'refused%%'
        RETURNING status"""

    def submit(self, transfer: Transfer) -> None:
        from django.db import connection

        from .models import SandboxTransfer

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(self._SUBMIT_SQL, {"ref": transfer.ref, "payout": transfer.payout_id,
                                                  "amount": transfer.amount, "account": transfer.account,
                                                  "at": now()})
                row = cursor.fetchone()
            if row is not None and row[0].startswith("refused:"):
                raise SubmissionRefused(row[0].partition(":")[2])
            return
        # The embedded SQLite demo: the same decisions, with the ORM.
        wallet = None if transfer.account else self._wallet(transfer)
        if wallet == "rail_busy" and not SandboxTransfer.objects.filter(payout_id=transfer.payout_id).exists():
            # The refusal is booked so that only the payout's first submission is refused.
            SandboxTransfer.objects.get_or_create(
                ref=transfer.ref, defaults={"payout_id": transfer.payout_id, "amount": transfer.amount,
                                            "status": "refused:SYSTEM_BUSY", "created_at": now()})
            raise SubmissionRefused("SYSTEM_BUSY")
        status = self._decide(transfer, wallet)
        booked, created = SandboxTransfer.objects.get_or_create(
            ref=transfer.ref, defaults={"payout_id": transfer.payout_id, "amount": transfer.amount,
                                        "account": transfer.account, "status": status, "created_at": now()})
        if not created and booked.status.startswith("refused"):
            SandboxTransfer.objects.filter(pk=booked.pk).update(status=status, account=transfer.account)

    def query(self, ref: str) -> ProviderResult:
        from .models import SandboxTransfer

        transfer = SandboxTransfer.objects.filter(ref=ref).first()
        if transfer is None:
            return ProviderResult("failed", "NOT_FOUND")
        status, _, code = transfer.status.partition(":")
        return ProviderResult(status, code, amount=transfer.amount, transfer_id=f"SANDBOX{transfer.pk:012d}",
                              paid_at=transfer.created_at if status == "succeeded" else None)

    def cancel(self, ref: str) -> ProviderResult:
        """A transfer still processing is cancelled (PAY-S10); a final one stays as it is."""
        from .models import SandboxTransfer

        SandboxTransfer.objects.filter(ref=ref, status="processing").update(status="failed:CANCELLED")
        return self.query(ref)

    def top_up_qr_content(self, *, payout_id: int, channel: str, amount: Decimal) -> str:
        return f"sandbox://{channel}/pay?payout={payout_id}&amount={amount}"

    @staticmethod
    def _wallet(transfer: Transfer) -> str | None:
        from .models import Payout

        wallets = Payout.objects.filter(pk=transfer.payout_id).values_list("order__buyer__sandbox_wallet", flat=True)
        return wallets.first()

    @classmethod
    def _decide(cls, transfer: Transfer, wallet: str | None) -> str:
        if transfer.account:
            return "failed:ACCOUNT_INVALID" if transfer.account.endswith("0000") else "succeeded"
        return {"ok": "succeeded", "rail_busy": "succeeded",
                "invalid_account": "failed:ACCOUNT_INVALID"}.get(wallet, "processing")


ERROR_CLASSES["CANCELLED"] = ErrorClass.TERMINAL


def rail_name(provider) -> str:
    """What the submission book calls a provider: its `rail_name`, else its class's import path."""
    name = getattr(provider, "rail_name", None)
    return name or f"{type(provider).__module__}.{type(provider).__qualname__}"[-64:]


def card_rail_name(provider) -> str:
    """The rail an account-card retry (PAY-C02) goes to."""
    return getattr(provider, "card_rail_name", None) or rail_name(provider)


def in_process(provider) -> bool:
    """A rail in the product's own process (the sandbox) is submitted to right after the commit; every other
    one by a worker (`payouts.tasks.submit_payout_task`), so no request waits on a rail's network."""
    return bool(getattr(provider, "in_process", False))


def cancel_at_rail(provider, ref: str) -> ProviderResult:
    """PAY-S10: ask the rail to cancel `ref` and answer its state; a rail without `cancel` is only asked."""
    cancel = getattr(provider, "cancel", None)
    return cancel(ref) if cancel is not None else provider.query(ref)


@dataclass(frozen=True)
class Payee:
    """Who a rail pays for a buyer: `identity` ("" when the buyer is not reachable on it yet: WeChat without an
    openid, PAY-B03), and the real name where the rail needs one."""

    identity: str
    rail: str
    user_name: str = ""
    identity_needed: bool = False


def payee_of(provider, buyer_id: int, amount: Decimal) -> Payee:
    """The payee a rail pays for the buyer (a provider's optional `payee`); by default "" — the buyer's
    username, read when the transfer is sent."""
    payee = getattr(provider, "payee", None)
    if payee is not None:
        return payee(buyer_id, amount)
    return Payee(identity="", rail=rail_name(provider))


def rail_limit_of(provider, amount: Decimal, payee: Payee) -> str:
    """PAY-S12: what a rail's own limits say about this amount and payee ("" = fine), before anything is held."""
    limit = getattr(provider, "limit", None)
    return limit(amount, payee) if limit is not None else ""


def get_provider() -> PaymentProvider:
    return import_string(settings.PAYOUT_PROVIDER)()


# Resolvers of a shop's own rail (payouts.rails registers one): shop id → provider, or None for the default.
SHOP_PROVIDERS: list = []


def shop_on_real_rail(shop_id: int | None) -> bool:
    """The shop pays through a rail platform staff configured (WeChat, Alipay), not the default provider:
    the sandbox's callback and top-up page never move its payouts (PAY-S11)."""
    return any(resolve(shop_id) is not None for resolve in SHOP_PROVIDERS)


def sandbox_serves(shop_id: int | None) -> bool:
    """PAY-S11: the sandbox's callback and top-up payment page act on this shop's payouts — only when the
    deployment turns the sandbox on (PAYOUT_SANDBOX_ENABLED, off in production) and the shop is on no real rail."""
    return bool(settings.PAYOUT_SANDBOX_ENABLED) and not shop_on_real_rail(shop_id)


def provider_for(shop_id: int | None, shop=None) -> PaymentProvider:
    """The rail a shop's payouts use: the one platform staff configured for it (payouts.rails), else the
    default (settings.PAYOUT_PROVIDER, the sandbox). `shop`: the shop row already read, with its rail
    configuration select_related (the payout creation's lock query), so no further read is needed."""
    for resolve in SHOP_PROVIDERS:
        provider = resolve(shop_id, shop=shop)
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
