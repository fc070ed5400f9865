"""Every write to shops, people, quotas and the shop ledger."""

from decimal import Decimal

from django.db import transaction

from core.clock import now
from core.errors import ApplicationError, CommonError
from core.money import ZERO, money
from core.writebatch import WriteBatch

from .errors import AccountError
from .models import ApiToken, LedgerEntry, PayoutQuota, PlatformProfile, Role, Shop, ShopAccount, User
from .tokencache import tokens
from .tokens import token_digest, token_generate, token_prefix


def shop_account_lock(*, shop_id: int) -> ShopAccount:
    """Lock the shop's account row for the rest of the transaction.

    Lock order for every money-moving service: order row(s) first, then the shop account, then the
    operator's quota. A fixed order means two services never wait on each other in a cycle.
    """
    return ShopAccount.objects.select_for_update().get(shop_id=shop_id)


@transaction.atomic
def ledger_post(*, shop_id: int, account: ShopAccount | None = None, **movement) -> LedgerEntry:
    """Append one ledger entry and move the cached balances by the same amounts, atomically (SPEC §2).

    Locks the shop account (or uses the row the caller already locked); `movement` is what
    `ledger_post_locked` takes (kind, balance, frozen, deposit, ref_type, ref_id, memo, actor). Refuses to take
    the balance or the frozen amount below zero; the deposit may go negative (the shop owes the platform).
    """
    if account is None:
        account = shop_account_lock(shop_id=shop_id)
    return ledger_post_locked(account=account, **movement)


def ledger_post_locked(
    *,
    account: ShopAccount,
    kind: str,
    balance: Decimal = ZERO,
    frozen: Decimal = ZERO,
    deposit: Decimal = ZERO,
    ref_type: str = "",
    ref_id: str | int = "",
    memo: str = "",
    actor: User | None = None,
    batch: WriteBatch | None = None,
) -> LedgerEntry:
    """ledger_post for a caller whose transaction already holds the account row's lock (a hot path with no
    savepoint): it refuses before writing anything, so the caller's transaction stays usable. With `batch`
    the account's UPDATE and the entry's INSERT go out with the caller's other writes (core.writebatch)."""
    shop_id = account.shop_id
    balance, frozen, deposit = money(balance), money(frozen), money(deposit)
    if account.balance + balance < 0 or account.frozen + frozen < 0:
        raise ApplicationError(AccountError.LEDGER_BALANCE_NEGATIVE)
    account.balance += balance
    account.frozen += frozen
    account.deposit += deposit
    fields = ["balance", "frozen", "deposit", "updated_at"]
    if batch is None:
        account.save(update_fields=fields)
    else:
        batch.update(account, fields)
    entry = LedgerEntry(
        shop_id=shop_id,
        kind=kind,
        balance_delta=balance,
        frozen_delta=frozen,
        deposit_delta=deposit,
        balance_after=account.balance,
        frozen_after=account.frozen,
        deposit_after=account.deposit,
        ref_type=ref_type,
        ref_id=str(ref_id),
        memo=memo,
        actor=actor,
        created_at=now(),
    )
    if batch is None:
        entry.save(force_insert=True)
    else:
        batch.insert(entry)
    return entry


@transaction.atomic
def ledger_charge(
    *,
    shop_id: int,
    amount: Decimal,
    kind: str,
    ref_type: str = "",
    ref_id: str | int = "",
    memo: str = "",
    actor: User | None = None,
) -> str:
    """Take money the shop owes (a merchant-borne refund, a fee, a penalty coupon) and say where from.

    The whole amount comes from the available balance (entry of `kind`); if that is short, the whole
    amount from the deposit (`deposit_deduction`); if the deposit is short too, the platform advances it
    and deducts the deposit, which goes negative: the shop's debt (`platform_advance`, ASE-R03, RS-05).
    Locks the shop account. Returns "balance", "deposit" or "platform_advance".
    """
    amount = money(amount)
    if amount <= 0:
        raise ValueError("ledger_charge takes a positive amount")
    account = shop_account_lock(shop_id=shop_id)
    ref = {"ref_type": ref_type, "ref_id": ref_id, "actor": actor, "account": account, "memo": memo or kind}
    if account.available >= amount:
        ledger_post(shop_id=shop_id, kind=kind, balance=-amount, **ref)
        return "balance"
    if account.deposit >= amount:
        ledger_post(shop_id=shop_id, kind=LedgerEntry.Kind.DEPOSIT_DEDUCTION, deposit=-amount, **ref)
        return "deposit"
    ledger_post(shop_id=shop_id, kind=LedgerEntry.Kind.PLATFORM_ADVANCE, deposit=-amount, **ref)
    return "platform_advance"


@transaction.atomic
def shop_account_sync(
    *, shop: Shop, balance: Decimal | None, frozen: Decimal | None, deposit: Decimal | None
) -> LedgerEntry | None:
    """Bring the shop's funds to the figures a platform sync reports, through one `sync` entry.

    A figure given as None stays as it is (a new account starts at 0.00); the comparison happens under
    the row lock. Nothing is written when the figures already match, so a repeated sync changes nothing.
    """
    ShopAccount.objects.get_or_create(shop=shop)
    account = shop_account_lock(shop_id=shop.pk)
    targets = {"balance": balance, "frozen": frozen, "deposit": deposit}
    deltas = {k: v - getattr(account, k) for k, v in targets.items() if v is not None}
    if not any(deltas.values()):
        return None
    return ledger_post(shop_id=shop.pk, kind=LedgerEntry.Kind.SYNC, account=account, **deltas)


def quota_check(*, shop: Shop, user: User, per_payout: Decimal | None, daily: Decimal | None, actor: User) -> None:
    """The rules of quota_set, callable alone so the admin form can show them as form errors."""
    if not actor.is_superuser and not (actor.role == Role.MAIN and actor.shop_id == shop.pk):
        raise ApplicationError(AccountError.QUOTA_MAIN_ONLY)
    if user.shop_id != shop.pk:
        raise ApplicationError(CommonError.NOT_FOUND)
    if user.role != Role.SUB:
        raise ApplicationError(AccountError.QUOTA_NOT_SUB_ACCOUNT)
    for value in (per_payout, daily):
        if value is not None and (value <= 0 or money(value) != value):
            raise ApplicationError(AccountError.QUOTA_INVALID)


@transaction.atomic
def quota_set(
    *,
    shop: Shop,
    user: User,
    per_payout: Decimal | None,
    daily: Decimal | None,
    enabled: bool,
    actor: User,
) -> PayoutQuota:
    """Set a sub-account's payout quota (客服打款配额). Only the shop's main account may (SPEC §1).

    Locks the quota row so a payout being checked against it sees either the old or the new limits.
    """
    quota_check(shop=shop, user=user, per_payout=per_payout, daily=daily, actor=actor)
    # One history row per change: lock the existing quota, or build a new one and save it once.
    quota = PayoutQuota.objects.select_for_update().filter(user=user).first() or PayoutQuota(user=user, shop=shop)
    quota.per_payout, quota.daily, quota.enabled = per_payout, daily, enabled
    quota._history_user = actor
    quota.save()
    return quota


def profiles_ensure_defaults() -> None:
    """Create the Douyin and Pinduoduo profiles with SPEC defaults where they are missing; never overwrite
    a profile platform staff edited. The data migration does this on install; the loader does it again so
    a flushed database (transactional tests) still has them."""
    from .profiles import DEFAULT_PROFILES

    for code, values in DEFAULT_PROFILES.items():
        PlatformProfile.objects.get_or_create(code=code, defaults=values)


# --- API tokens (SEC-02): only digests are stored; a new key is returned once, to be shown once. ---


def api_token_create(*, user: User, name: str = "", expires_at=None, key: str | None = None,
                     channel: str = ApiToken.Channel.CHAT_TOOL) -> tuple[ApiToken, str]:
    """Make a token for `user` and return it with its key (the only time the key exists outside the client).
    `channel`: where it is used (PAY-E10)."""
    key = key or token_generate()
    token = ApiToken.objects.create(user=user, name=name[:64], channel=channel, digest=token_digest(key),
                                    prefix=token_prefix(key),
                                    created_at=now(), expires_at=expires_at)
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token: the holder's own, or (main account) one of the shop's people's; platform staff any."""
    if not (actor.is_superuser or actor.is_platform_staff or token.user_id == actor.pk
            or (actor.role == Role.MAIN and token.user.shop_id == actor.shop_id)):
        raise ApplicationError(CommonError.PERMISSION_DENIED)
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def api_token_install(*, user: User, key: str, name: str = "演示数据令牌",
                      channel: str = ApiToken.Channel.CHAT_TOOL) -> ApiToken:
    """A platform sync's known key (API.md scenario `token`, `token_channel`): stored hashed, idempotent; the
    user's other tokens of the same name are revoked. A key that belongs to someone else is refused."""
    digest = token_digest(key)
    existing = ApiToken.objects.select_for_update().filter(digest=digest).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise ApplicationError(AccountError.TOKEN_TAKEN)
        if existing.revoked_at is not None or existing.channel != channel:
            existing.revoked_at, existing.channel = None, channel
            existing.save(update_fields=["revoked_at", "channel"])
        return existing
    ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=now())
    tokens.invalidate()  # an update() sends no signal: the token cache forgets these here
    token, _key = api_token_create(user=user, name=name, key=key, channel=channel)
    return token
