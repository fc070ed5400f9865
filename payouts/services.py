"""Every write to small payouts (SPEC §4). Admin, API, tasks and sweeps call these and nothing else.

Lock order (accounts.services): order row → shop account → the operator's quota → the payout. Creation
and approval take the order and the shop account, so two operators paying one order or one shop at the
same moment queue on those rows and the second one sums what the first committed: no cap can be passed
together (SPEC §4.2, last paragraph).
"""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from celery import current_app
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _

from accounts.models import LedgerEntry, PayoutQuota, Role, ShopAccount, User
from accounts.selectors import working_day_add
from accounts.services import ledger_post, ledger_post_locked, shop_account_lock
from core.clock import SHANGHAI, now, shanghai_date
from core.errors import ApplicationError, CommonError
from core.money import money
from core.transitions import event_add, transition, transition_allowed
from notifications import texts
from notifications.models import Channel
from notifications.services import inbox_send, notification_send
from orders.events import order_event_add
from orders.models import Order
from orders.services import order_lock

from .arrival import arrival_note
from .contacts import off_platform_contact_check
from .errors import PayoutError
from .models import (
    CardStatus,
    FailureReason,
    PayMethod,
    Payout,
    PayoutCard,
    PayoutEvent,
    PayoutEventType,
    PayoutOrderEventType,
    PayoutRequest,
    PayoutSource,
    PayoutStatus,
    PayoutType,
    RequestStatus,
)
from .provider import ErrorClass, ProviderResult, SubmissionRefused, Transfer, classify, get_provider, provider_for
from .selectors import (
    eligibility_problems,
    payout_check,
    payout_request_decision_refusal,
    payout_sums,
    payouts_hidden,
)

logger = logging.getLogger(__name__)

# Seed 001's 「商家的自动回复」: the shop's own words (Shop.chat_auto_reply), sent as they are after the card
# confirmation; only the title is ours.
SHOP_AUTO_REPLY = texts.Text("shop_auto_reply", _("Automatic reply from the shop"), "%(reply)s")

# The settle task by name (payouts.tasks defines it): tasks import services, never the other way round.
SETTLE_TASK = "payouts.tasks.settle_payout_task"


@dataclass(frozen=True)
class PayoutInput:
    type: str
    amount: Decimal
    reason: str
    buyer_message: str
    product_id: str = ""
    pay_method: str = PayMethod.BALANCE
    scan_channel: str = ""


# ---------------------------------------------------------------------------------------------- helpers


def _lock_payout(payout_id: int) -> Payout:
    """Lock the payout's order, then its shop account, then the payout (the fixed lock order)."""
    row = Payout.objects.values("order_id", "shop_id").get(pk=payout_id)
    Order.objects.select_for_update().only("pk").get(pk=row["order_id"])
    shop_account_lock(shop_id=row["shop_id"])
    return Payout.objects.select_for_update(of=("self",)).select_related("shop__profile", "order__buyer").get(pk=payout_id)


def _notify(payout: Payout, text: texts.Text, *channels: str, to_buyer: bool = True, **params) -> None:
    notification_send(text=text, channels=channels, shop_id=payout.shop_id,
                      recipient_id=payout.order.buyer_id if to_buyer else None, order_id=payout.order_id,
                      about=payout, **params)


def _validate_input(data: PayoutInput, order: Order) -> None:
    """PAY-F01..F03, F06 and the pay method; malformed input is 400 `invalid` with the fields, a product that is
    not the order's is PAY-F02's own code."""
    fields = {}
    if data.type not in PayoutType.values:
        fields["type"] = ["one of shipping_fee, price_difference, other (PAY-F01)"]
    if data.amount is None:
        fields["amount"] = ["required (PAY-F02)"]
    for name in ("reason", "buyer_message"):
        value = getattr(data, name)
        if not value or not value.strip():
            fields[name] = ["required (PAY-F03)"]
        elif len(value) > 255:
            fields[name] = ["at most 255 characters"]
    if data.pay_method not in PayMethod.values:
        fields["pay_method"] = ["balance or scan"]
    if data.pay_method == PayMethod.SCAN and data.scan_channel not in ("wechat", "alipay"):
        fields["scan_channel"] = ["wechat or alipay with scan"]
    if fields:
        raise ApplicationError(CommonError.INVALID, extra={"fields": fields})
    off_platform_contact_check(reason=data.reason, buyer_message=data.buyer_message)  # PAY-F06
    if data.product_id and not order.items.filter(product_id=data.product_id).exists():
        raise ApplicationError(PayoutError.PRODUCT_NOT_IN_ORDER)


def _lock_quota(actor: User) -> PayoutQuota | None:
    if actor.role != Role.SUB:
        return None
    return PayoutQuota.objects.select_for_update().filter(user=actor, enabled=True).first()


def payout_order_lock(*, order_id: int | None = None, shop_id: int | None = None, order_no: str = "") -> Order:
    """Lock the order and then its shop account in one statement (`FOR UPDATE OF` both, in the lock order:
    PostgreSQL locks a row's marks in the order the clause names them) and load what the rules read: the
    shop, its profile and `order.shop.account` (not the buyer: creation reads only its id). By id, or by the
    shop's order number (404)."""
    qs = (Order.objects.select_for_update(of=("self", "shop__account"))
          .select_related("shop__profile", "shop__account")
          .filter(shop__account__isnull=False))  # an inner join: a lock cannot take an outer join's side
    qs = qs.filter(pk=order_id) if order_id is not None else qs.filter(shop_id=shop_id, order_no=order_no)
    order = qs.first()
    if order is None:
        raise ApplicationError(CommonError.NOT_FOUND)
    return order


def _check_under_locks(*, order: Order, actor: User, data: PayoutInput, for_request: bool, locked: bool = False):
    """Lock order → shop account (one statement) → quota, then sum and check every rule against what is
    committed. `locked`: the caller took the first two with payout_order_lock in this transaction."""
    if not locked:
        order = payout_order_lock(order_id=order.pk)
    account: ShopAccount = order.shop.account
    quota = None if for_request else _lock_quota(actor)
    profile = order.shop.profile
    if data.pay_method == PayMethod.SCAN and not profile.scan_to_pay_enabled:
        raise ApplicationError(PayoutError.SCAN_NOT_SUPPORTED)
    sums = payout_sums(order=order, quota_user=actor if actor.role == Role.SUB and not for_request else None,
                       day=shanghai_date())
    check = payout_check(order=order, profile=profile, actor=actor, amount=data.amount, pay_method=data.pay_method,
                         sums=sums, account=account, quota=quota, for_request=for_request)
    return order, account, check


def _may_pay(actor: User, order: Order) -> None:
    if not actor.is_shop_member or actor.shop_id != order.shop_id:
        raise ApplicationError(CommonError.NOT_FOUND)


def _may_act_on_payouts(actor: User, order: Order) -> None:
    """Continue and resend a card (SPEC §1): the main account, customer-service admins, and sub-accounts with
    an enabled quota — on Pinduoduo any sub-account, who pays by scan or request anyway (PAY-L08)."""
    _may_pay(actor, order)
    if payouts_hidden(user=actor):  # PAY-L08, the selector the pages read
        raise ApplicationError(PayoutError.NO_PAYOUT_PERMISSION)


# ---------------------------------------------------------------------------------------------- create


def _atomic_unless_locked(func):
    """`transaction.atomic` around a service, except with `locked=True`: the caller took the locks in its own
    transaction and rolls it back whole on any error (the API's one transaction under its Idempotency-Key),
    so the service adds no savepoint to the hot path."""

    @wraps(func)
    def wrapper(*args, locked: bool = False, **kwargs):
        if locked:
            if not connection.in_atomic_block:
                raise TransactionManagementError(f"{func.__name__}(locked=True) outside the caller's transaction")
            return func(*args, locked=True, **kwargs)
        with transaction.atomic():
            return func(*args, locked=False, **kwargs)

    return wrapper


@_atomic_unless_locked
def payout_create(*, order: Order, data: PayoutInput, actor: User, approved_by: User | None = None,
                  request: PayoutRequest | None = None, locked: bool = False) -> Payout:
    """Create a payout after checking every rule under the locks (SPEC §4.1–§4.3, §4.7).

    A balance payout takes its amount from the balance at once, exactly once, and is submitted to the rail
    at once, on every profile (PAY-S01): it is processing, and becomes pending only if the rail does not
    accept the submission (`_send_to_provider` → `payout_submission_refused`). A scan payout awaits its
    top-up and holds nothing (PAY-Q01). An approved request (PAY-A02) is checked on every order and shop
    rule but not the requester's quota, and uses nobody's quota.
    """
    _may_pay(actor, order)
    _validate_input(data, order)
    for_request = request is not None
    order, account, check = _check_under_locks(order=order, actor=actor, data=data, for_request=for_request,
                                               locked=locked)
    error = check.first_error()
    if error is not None:
        raise error
    profile = order.shop.profile
    at = now()
    by_balance = data.pay_method == PayMethod.BALANCE
    payout = Payout(
        shop_id=order.shop_id, order=order, type=data.type, amount=data.amount, reason=data.reason.strip(),
        buyer_message=data.buyer_message.strip(), product_id=data.product_id or "", pay_method=data.pay_method,
        scan_channel=data.scan_channel if not by_balance else "",
        applicant=request.requester if request else actor, approved_by=approved_by,
        quota_user=check.quota_user if by_balance else None, counted=True, day=shanghai_date(at),
        held=data.amount if by_balance else 0, created_at=at,
        close_at=at + dt.timedelta(days=profile.close_after_days),
        # PAY-S01: a balance payout is created submitted (attempt 1): one INSERT and one batch of events instead
        # of a pending row moved to processing in the same transaction.
        status=PayoutStatus.PROCESSING if by_balance else PayoutStatus.AWAITING_TOP_UP,
        attempt=1 if by_balance else 0, submitted_at=at if by_balance else None,
        auto_submit_at=at + dt.timedelta(seconds=profile.pending_auto_submit_seconds) if by_balance else None,
        top_up_deadline=None if by_balance else at + dt.timedelta(seconds=profile.top_up_window_seconds),
    )
    payout.shop = order.shop
    payout.save()
    if by_balance:
        ledger_post_locked(account=account, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=-data.amount,
                           ref_type="payout", ref_id=payout.pk, actor=actor)
    created = PayoutEvent(payout=payout, type=PayoutEventType.CREATED, actor=actor, at=at,
                          params={"amount": str(payout.amount), "pay_method": payout.pay_method,
                                  **({"request": request.pk, "approved_by": approved_by.username}
                                     if request and approved_by else {})})
    events = [created]
    if by_balance:
        events.append(PayoutEvent(payout=payout, type=PayoutEventType.SUBMITTED, actor=None, at=at,
                                  params={"attempt": payout.attempt}))
    PayoutEvent.objects.bulk_create(events)  # no save(): the written events are noted here
    payout.__dict__.setdefault("written_events", []).extend(events)
    order_event_add(order_id=order.pk, type=PayoutOrderEventType.PAYOUT_CREATED, actor=actor, payout=payout.pk,
                    amount=str(payout.amount), payout_type=payout.type, pay_method=payout.pay_method)
    if by_balance:
        transaction.on_commit(lambda pid=payout.pk: _send_to_provider(pid))
    return payout


def _submit(payout: Payout, *, actor: User | None, event: str = PayoutEventType.SUBMITTED) -> None:
    """pending / awaiting top-up / failed → processing, and hand the transfer to the rail after commit."""
    payout.submitted_at = now()
    payout.attempt += 1
    transition(payout, PayoutStatus.PROCESSING, actor=actor, event=event, fields=("submitted_at", "attempt"),
               attempt=payout.attempt)
    transaction.on_commit(lambda pid=payout.pk: _send_to_provider(pid))


def _transfer_for(payout: Payout) -> Transfer:
    card = payout.cards.filter(status=CardStatus.SUBMITTED).order_by("-submitted_at").first()
    return Transfer(
        ref=f"PO{payout.pk}-{payout.attempt}", payout_id=payout.pk, amount=payout.amount,
        buyer=payout.order.buyer.username,
        account=card.account_for_retry if card and card.account_for_retry else "",
        account_kind=card.channel if card and card.account_for_retry else "",
        account_name=card.holder_name if card and card.account_for_retry else "",
    )


def _send_to_provider(payout_id: int) -> None:
    """After commit: submit the transfer and ask a worker to settle it soon. A lost submission is redone by
    the settle sweep (the rail de-duplicates by ref)."""
    payout = Payout.objects.select_related("order__buyer").get(pk=payout_id)
    transfer = _transfer_for(payout)
    try:
        provider_for(payout.shop_id).submit(transfer)
    except SubmissionRefused as exc:  # busy: the payout is pending (PAY-S01), never resubmitted silently
        payout_submission_refused(payout_id=payout_id, ref=transfer.ref, error_code=exc.code)
        return
    except Exception:  # unreachable: the same
        logger.exception("payout %s: the rail did not accept the submission", payout_id)
        payout_submission_refused(payout_id=payout_id, ref=transfer.ref, error_code="UNREACHABLE")
        return
    try:
        current_app.send_task(SETTLE_TASK, args=(payout_id,))
    except Exception:  # no broker: the sweep settles it by the next clock run
        logger.warning("payout %s: no broker, settles by the next clock run", payout_id)


@transaction.atomic
def payout_submission_refused(*, payout_id: int, ref: str, error_code: str) -> bool:
    """The rail did not accept the submission `ref` (PAY-S01): the payout is pending — the operator continues
    it (继续打款) or the clock submits it again by the profile's auto-submit age after its creation (PAY-S02),
    or at its next run when that age has passed. Nothing is debited or released: the hold stays as it was."""
    payout = _lock_payout(payout_id)
    if payout.status != PayoutStatus.PROCESSING or ref != f"PO{payout.pk}-{payout.attempt}":
        return False  # a later attempt, or a result already applied
    due = payout.created_at + dt.timedelta(seconds=payout.shop.profile.pending_auto_submit_seconds)
    payout.auto_submit_at = max(due, now())
    transition(payout, PayoutStatus.PENDING, actor=None, event=PayoutEventType.SUBMISSION_REFUSED,
               fields=("auto_submit_at",), ref=ref, error_code=error_code)
    return True


# ---------------------------------------------------------------------------------------------- continue


@transaction.atomic
def payout_continue(*, payout: Payout, actor: User) -> Payout:
    """继续打款 (PAY-S02): submit a pending payout, never debiting it again. 继续充值 (PAY-Q02): within the
    top-up window, the QR code of the chosen channel again."""
    _may_act_on_payouts(actor, payout.order)
    payout = _lock_payout(payout.pk)
    if payout.status == PayoutStatus.AWAITING_TOP_UP:
        if now() >= payout.top_up_deadline:
            raise ApplicationError(PayoutError.TOP_UP_WINDOW_CLOSED)
        event_add(payout, type=PayoutEventType.TOP_UP_CONTINUED, actor=actor)
        return payout
    if payout.status == PayoutStatus.TOP_UP_FAILED:
        raise ApplicationError(PayoutError.TOP_UP_WINDOW_CLOSED)
    if payout.status != PayoutStatus.PENDING:
        raise ApplicationError(PayoutError.PAYOUT_NOT_PENDING)
    _submit(payout, actor=actor, event=PayoutEventType.CONTINUED)
    return payout


def top_up_qr(payout: Payout) -> dict | None:
    """The QR payload of an awaiting-top-up payout (PAY-Q01): what the operator scans to pay."""
    if payout.status != PayoutStatus.AWAITING_TOP_UP:
        return None
    channel = payout.scan_channel
    return {"channel": channel, "amount": str(payout.amount), "expires_at": payout.top_up_deadline.isoformat(),
            "content": get_provider().top_up_qr_content(payout_id=payout.pk, channel=channel, amount=payout.amount)}


@transaction.atomic
def top_up_paid(*, payout: Payout, actor: User | None) -> Payout:
    """The top-up of a scan payout was paid: it becomes processing (PAY-Q01). The topped-up money never
    enters the shop balance. A payment after the window is refused (PAY-Q02)."""
    payout = _lock_payout(payout.pk)
    if payout.status != PayoutStatus.AWAITING_TOP_UP:
        if payout.status == PayoutStatus.TOP_UP_FAILED:
            raise ApplicationError(PayoutError.TOP_UP_WINDOW_CLOSED)
        raise ApplicationError(PayoutError.NOT_AWAITING_TOP_UP)
    if now() >= payout.top_up_deadline:
        raise ApplicationError(PayoutError.TOP_UP_WINDOW_CLOSED)
    event_add(payout, type=PayoutEventType.TOPPED_UP, actor=actor, channel=payout.scan_channel)
    _submit(payout, actor=actor)
    return payout


# ---------------------------------------------------------------------------------------------- settle


@transaction.atomic
def payout_apply_result(*, payout_id: int, result: ProviderResult, source: str, ref: str = "") -> Payout:
    """Apply what the rail reports (PAY-S03, S07). Idempotent: a duplicate changes nothing; a result the
    status table does not allow (late, out of order, for an old attempt) is recorded and ignored; a success
    after the close is recorded and flagged to platform staff, not applied (PAY-S06)."""
    payout = _lock_payout(payout_id)
    current_ref = f"PO{payout.pk}-{payout.attempt}"
    if result.status == "processing":
        return payout
    if ref and ref != current_ref:
        event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, ref=ref, reported=result.status,
                  why="an earlier attempt")
        return payout
    if result.status == "succeeded":
        if payout.status == PayoutStatus.SUCCEEDED:
            return payout  # a duplicate
        if payout.status == PayoutStatus.CLOSED:
            payout.flagged = True
            payout.save(update_fields=["flagged"])
            event_add(payout, type=PayoutEventType.LATE_SUCCESS_FLAGGED, source=source, ref=ref or current_ref)
            return payout
        if not transition_allowed(payout, PayoutStatus.SUCCEEDED):
            event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, reported="succeeded",
                      status=payout.status)
            return payout
        payout.succeeded_at = now()
        payout.held = 0  # paid: nothing of it can come back
        transition(payout, PayoutStatus.SUCCEEDED, actor=None, event=PayoutEventType.SUCCEEDED,
                   fields=("succeeded_at", "held"), source=source)
        _close_open_cards(payout)
        _wipe_card_accounts(payout)
        order_event_add(order_id=payout.order_id, type=PayoutOrderEventType.PAYOUT_SUCCEEDED, actor=None, payout=payout.pk,
                        amount=str(payout.amount))
        # PAY-S04: app message and WeChat 「商家补偿转账通知」.
        _notify(payout, texts.PAYOUT_SUCCEEDED, Channel.APP, Channel.WECHAT, shop=payout.shop.name,
                amount=payout.amount, order_no=payout.order.order_no, message=payout.buyer_message,
                arrival=arrival_note(payout))
        return payout
    # failed
    if not transition_allowed(payout, PayoutStatus.FAILED):
        event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, reported="failed",
                  status=payout.status)
        return payout
    kind = classify(result.error_code)
    if kind is ErrorClass.TRANSIENT:
        # Resubmit under the same business key: the rail pays it at most once.
        event_add(payout, type=PayoutEventType.RETRIED, source=source, error_code=result.error_code)
        transaction.on_commit(lambda pid=payout.pk: _send_to_provider(pid))
        return payout
    reason = FailureReason.BUYER_ACCOUNT_INVALID if kind is ErrorClass.BUYER_FIXABLE else FailureReason.PROVIDER_ERROR
    _fail(payout, reason=reason, error_code=result.error_code, source=source)
    return payout


def _fail(payout: Payout, *, reason: str, error_code: str, source: str) -> None:
    profile = payout.shop.profile
    payout.failure_reason = reason
    payout.failed_at = now()
    released = payout.held
    if profile.failure_releases_hold and released > 0:
        # Douyin: a failure is final and gives the money back at once (PAY-S03).
        payout.held = 0
    transition(payout, PayoutStatus.FAILED, actor=None, event=PayoutEventType.FAILED,
               fields=("failure_reason", "failed_at", "held"), reason=reason, error_code=error_code, source=source)
    if profile.failure_releases_hold and released > 0:
        ledger_post(shop_id=payout.shop_id, kind=LedgerEntry.Kind.HOLD_RELEASE, balance=released, ref_type="payout",
                    ref_id=payout.pk)
        event_add(payout, type=PayoutEventType.HOLD_RELEASED, amount=str(released))
    _close_open_cards(payout)
    order_event_add(order_id=payout.order_id, type=PayoutOrderEventType.PAYOUT_FAILED, actor=None, payout=payout.pk,
                    reason=reason)
    # PAY-S04: the buyer is told to contact the platform; the shop gets a station message (站内信).
    _notify(payout, texts.PAYOUT_FAILED_BUYER, Channel.APP, amount=payout.amount)
    _notify(payout, texts.PAYOUT_FAILED_SHOP, Channel.STATION, to_buyer=False, order_no=payout.order.order_no,
            amount=payout.amount, reason=reason)
    inbox_send(texts.PAYOUT_FAILED_SHOP, shop_id=payout.shop_id, to=(Role.MAIN, payout.applicant_id), order_id=payout.order_id,
               about=payout, order_no=payout.order.order_no, amount=payout.amount,
               reason=FailureReason(reason).label)  # NTF-01
    if reason == FailureReason.BUYER_ACCOUNT_INVALID and profile.account_card_enabled:
        _card_send(payout, actor=None)  # PAY-C01


def payout_settle(*, payout_id: int) -> Payout | None:
    """Ask the rail for a processing payout's result and apply it (the settle task and sweep)."""
    payout = Payout.objects.select_related("order__buyer").get(pk=payout_id)
    if payout.status != PayoutStatus.PROCESSING:
        return payout
    provider = provider_for(payout.shop_id)
    ref = f"PO{payout.pk}-{payout.attempt}"
    result = provider.query(ref)
    if result.status == "failed" and result.error_code == "NOT_FOUND":
        # The submission was lost (a crash between commit and submit): submit again, same business key.
        try:
            provider.submit(_transfer_for(payout))
        except Exception as exc:  # not accepted: pending (PAY-S01), not a silent loop
            payout_submission_refused(payout_id=payout.pk, ref=ref,
                                      error_code=getattr(exc, "code", "UNREACHABLE"))
            return Payout.objects.get(pk=payout.pk)
        result = provider.query(ref)
    if result.status == "processing":
        return payout
    return payout_apply_result(payout_id=payout.pk, result=result, source=PayoutSource.QUERY, ref=ref)


# ---------------------------------------------------------------------------------------------- cards


def _close_open_cards(payout: Payout) -> None:
    """The payout's open card expires (one open card per payout, PAY-C03)."""
    for card in payout.cards.filter(status=CardStatus.SENT):
        card.payout = payout
        transition(card, CardStatus.EXPIRED, actor=None, event=PayoutEventType.CARD_EXPIRED, card=card.token)


def _wipe_card_accounts(payout: Payout) -> None:
    """PAY-C04: the full account is kept only for the retry."""
    payout.cards.exclude(account_for_retry="").update(account_for_retry="")


def _card_send(payout: Payout, *, actor: User | None) -> PayoutCard:
    """Send an account card (PAY-C01); any open card expires first (one open card per payout, PAY-C03)."""
    _close_open_cards(payout)
    at = now()
    card = PayoutCard.objects.create(
        payout=payout, token=secrets.token_urlsafe(18), status=CardStatus.SENT, sent_at=at, sent_by=actor,
        expires_at=at + dt.timedelta(hours=payout.shop.profile.card_expiry_hours),
    )
    event_add(payout, type=PayoutEventType.CARD_SENT, actor=actor, card=card.token,
              expires_at=card.expires_at.isoformat())
    _notify(payout, texts.ACCOUNT_CARD, Channel.CHAT)
    return card


@transaction.atomic
def payout_card_resend(*, payout: Payout, actor: User) -> PayoutCard:
    """The merchant sends a new card while the payout is failed and not closed (PAY-C03)."""
    _may_act_on_payouts(actor, payout.order)
    payout = _lock_payout(payout.pk)
    if not payout.shop.profile.account_card_enabled or payout.status != PayoutStatus.FAILED:
        raise ApplicationError(PayoutError.CARD_NOT_AVAILABLE)
    return _card_send(payout, actor=actor)


def _mask(account: str) -> str:
    tail = account[-4:] if len(account) > 4 else ""
    return f"{account[:3]}****{tail}" if len(account) > 7 else "****" + tail


@transaction.atomic
def payout_card_submit(*, token: str, buyer: User, channel: str, account: str, name: str) -> PayoutCard:
    """The buyer fills in an Alipay account or a bank card; the payout is retried at once (PAY-C02). Only the
    masked account is ever shown (PAY-C04)."""
    card_row = PayoutCard.objects.filter(token=token, payout__order__buyer=buyer).values("payout_id").first()
    if card_row is None:
        raise ApplicationError(CommonError.NOT_FOUND)
    payout = _lock_payout(card_row["payout_id"])
    card = PayoutCard.objects.select_for_update().get(token=token)
    if (not transition_allowed(card, CardStatus.SUBMITTED) or now() >= card.expires_at
            or payout.status != PayoutStatus.FAILED):
        raise ApplicationError(PayoutError.CARD_EXPIRED)
    card.payout = payout
    card.channel, card.holder_name = channel, name.strip()
    card.account_masked, card.account_for_retry = _mask(account), account
    card.submitted_at = now()
    transition(card, CardStatus.SUBMITTED, actor=buyer, event=PayoutEventType.CARD_SUBMITTED,
               fields=("channel", "holder_name", "account_masked", "account_for_retry", "submitted_at"),
               card=card.token, channel=channel, account=card.account_masked)
    _notify(payout, texts.CARD_CONFIRMED, Channel.CHAT)
    # Seed 001: 「聊天页会自动发送确认信息,以及商家的自动回复」 — the shop's own text, where its main account set one.
    reply = payout.shop.chat_auto_reply.strip()
    if reply:
        _notify(payout, SHOP_AUTO_REPLY, Channel.CHAT, reply=reply)
    payout.failure_reason = ""
    _submit(payout, actor=buyer, event=PayoutEventType.RETRIED)
    payout.save(update_fields=["failure_reason"])
    return card


# ---------------------------------------------------------------------------------------------- requests


@transaction.atomic
def payout_request_create(*, order: Order, data: PayoutInput, actor: User) -> PayoutRequest:
    """An operator sends the payout to the main account instead of paying (PAY-A01): no money is held and
    nothing is counted. The order's eligibility is checked now, and every rule again at approval."""
    _may_pay(actor, order)
    _validate_input(PayoutInput(**{**data.__dict__, "pay_method": PayMethod.BALANCE, "scan_channel": ""}), order)
    order = order_lock(order_id=order.pk)
    profile = order.shop.profile
    problems = eligibility_problems(order=order, shop=order.shop, profile=profile)
    if problems:
        raise problems[0]
    if data.amount < profile.min_amount or money(data.amount) != data.amount:
        raise ApplicationError(PayoutError.INVALID_AMOUNT, {"minimum": profile.min_amount})  # PAY-L10
    request = PayoutRequest.objects.create(
        shop_id=order.shop_id, order=order, type=data.type, amount=data.amount, reason=data.reason.strip(),
        buyer_message=data.buyer_message.strip(), product_id=data.product_id or "", requester=actor,
        created_at=now(),
    )
    order_event_add(order_id=order.pk, type=PayoutOrderEventType.REQUESTED, actor=actor, request=request.pk,
                    amount=str(request.amount))
    inbox_send(texts.PAYOUT_REQUEST_CREATED, shop_id=order.shop_id,
               to=(Role.MAIN, Role.CS_ADMIN) if profile.scan_to_pay_enabled else (Role.MAIN,), order_id=order.pk,
               about=request, requester=actor.username, amount=request.amount, order_no=order.order_no,
               reason=request.reason)  # NTF-02
    return request


def _may_decide(actor: User, request: PayoutRequest) -> None:
    """PAY-A02: the rule is the selector's, which the pages and the API read too."""
    if (refusal := payout_request_decision_refusal(actor=actor, request=request)) is not None:
        raise refusal


def _lock_request(request: PayoutRequest) -> PayoutRequest:
    # Lock order: the order first (payout_create locks it again, re-entrantly), then the request.
    Order.objects.select_for_update().only("pk").get(pk=request.order_id)
    return (PayoutRequest.objects.select_for_update(of=("self",)).select_related("shop__profile", "requester", "order")
            .get(pk=request.pk))


@transaction.atomic
def payout_request_approve(*, request: PayoutRequest, actor: User, pay_method: str = PayMethod.BALANCE,
                           scan_channel: str = "") -> Payout:
    """Approve (PAY-A02): the approver chooses how to pay — from the balance (default) or, where the profile
    has scan-to-pay (Pinduoduo), by scan with a channel (the payout then awaits its top-up, PAY-Q01/Q02), so
    a request on an order only scan can pay (PAY-Q03) or in a shop whose balance is blocked (PAY-Q04) can
    still be approved. Every order and shop rule is checked again now, not the requester's quota; a failed
    check answers the rule's code and leaves the request pending. The payout's applicant is the requester,
    `approved_by` the approver; it counts against neither one's quota."""
    request = _lock_request(request)
    _may_decide(actor, request)
    if not transition_allowed(request, RequestStatus.APPROVED):
        raise ApplicationError(PayoutError.REQUEST_NOT_PENDING)
    data = PayoutInput(type=request.type, amount=request.amount, reason=request.reason,
                       buyer_message=request.buyer_message, product_id=request.product_id,
                       pay_method=pay_method or PayMethod.BALANCE,
                       scan_channel=scan_channel if pay_method == PayMethod.SCAN else "")
    payout = payout_create(order=request.order, data=data, actor=actor, approved_by=actor, request=request)
    request.decided_by, request.decided_at, request.payout = actor, now(), payout
    transition(request, RequestStatus.APPROVED, actor=actor, event=PayoutOrderEventType.REQUEST_APPROVED,
               fields=("decided_by", "decided_at", "payout"), request=request.pk, payout=payout.pk)
    inbox_send(texts.PAYOUT_REQUEST_APPROVED, shop_id=request.shop_id, to=(request.requester_id,), order_id=request.order_id,
               about=request, amount=request.amount, order_no=request.order.order_no)  # NTF-03
    return payout


@transaction.atomic
def payout_request_reject(*, request: PayoutRequest, actor: User, reason: str) -> PayoutRequest:
    request = _lock_request(request)
    _may_decide(actor, request)
    if not reason or not reason.strip():
        raise ApplicationError(PayoutError.REJECT_REASON_REQUIRED)
    if not transition_allowed(request, RequestStatus.REJECTED):
        raise ApplicationError(PayoutError.REQUEST_NOT_PENDING)
    request.decided_by, request.decided_at = actor, now()
    request.reject_reason = reason.strip()[:255]
    transition(request, RequestStatus.REJECTED, actor=actor, event=PayoutOrderEventType.REQUEST_REJECTED,
               fields=("decided_by", "decided_at", "reject_reason"), request=request.pk, reason=request.reject_reason)
    inbox_send(texts.PAYOUT_REQUEST_REJECTED, shop_id=request.shop_id, to=(request.requester_id,), order_id=request.order_id,
               about=request, amount=request.amount, order_no=request.order.order_no, reason=request.reject_reason)  # NTF-03
    return request


# ---------------------------------------------------------------------------------------------- clocks


@transaction.atomic
def payout_auto_submit(*, payout_id: int) -> bool:
    """PAY-S02: a pending payout nobody continued is submitted at the profile's age."""
    payout = _lock_payout(payout_id)
    if payout.status != PayoutStatus.PENDING or payout.auto_submit_at > now():
        return False
    _submit(payout, actor=None, event=PayoutEventType.AUTO_SUBMITTED)
    return True


@transaction.atomic
def payout_close(*, payout_id: int) -> bool:
    """PAY-S06: a payout still not succeeded 7 days after creation closes; its open card expires; money it
    still holds returns on the profile's working day after the close (return_due_at)."""
    payout = _lock_payout(payout_id)
    if payout.status not in (PayoutStatus.PROCESSING, PayoutStatus.FAILED) or payout.close_at > now():
        return False
    at = now()
    payout.closed_at = at
    if payout.held > 0:
        day = working_day_add(start=at.astimezone(SHANGHAI).date(), days=payout.shop.profile.return_working_day)
        payout.return_due_at = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    transition(payout, PayoutStatus.CLOSED, actor=None, event=PayoutEventType.CLOSED,
               fields=("closed_at", "return_due_at"),
               return_due_at=payout.return_due_at.isoformat() if payout.return_due_at else None)
    _close_open_cards(payout)
    _wipe_card_accounts(payout)
    if payout.pay_method == PayMethod.SCAN:
        # PAY-Q01: topped-up money never entered the balance; it goes back to the channel that paid it.
        event_add(payout, type=PayoutEventType.REFUNDED_TO_CHANNEL, channel=payout.scan_channel,
                  amount=str(payout.amount))
    order_event_add(order_id=payout.order_id, type=PayoutOrderEventType.PAYOUT_CLOSED, actor=None, payout=payout.pk)
    return True


@transaction.atomic
def payout_return(*, payout_id: int) -> bool:
    """PAY-S06: the held money of a closed payout returns to the balance, once, when due."""
    payout = _lock_payout(payout_id)
    if (payout.status != PayoutStatus.CLOSED or payout.returned_at is not None or payout.held <= 0
            or payout.return_due_at is None or payout.return_due_at > now()):
        return False
    amount = payout.held
    ledger_post(shop_id=payout.shop_id, kind=LedgerEntry.Kind.PAYOUT_RETURN, balance=amount, ref_type="payout",
                ref_id=payout.pk)
    payout.held, payout.returned_at = 0, now()
    payout.save(update_fields=["held", "returned_at"])
    event_add(payout, type=PayoutEventType.RETURNED, amount=str(amount))
    return True


@transaction.atomic
def payout_top_up_expire(*, payout_id: int) -> bool:
    """PAY-Q02: an awaiting top-up not paid within the window becomes top-up failed (never counted)."""
    payout = _lock_payout(payout_id)
    if payout.status != PayoutStatus.AWAITING_TOP_UP or payout.top_up_deadline > now():
        return False
    transition(payout, PayoutStatus.TOP_UP_FAILED, actor=None, event=PayoutEventType.TOP_UP_FAILED)
    return True


@transaction.atomic
def payout_card_expire(*, card_id: int) -> bool:
    """PAY-C03: a card expires 72 hours after it was sent."""
    payout_id = PayoutCard.objects.values_list("payout_id", flat=True).get(pk=card_id)
    payout = _lock_payout(payout_id)
    card = PayoutCard.objects.select_for_update().get(pk=card_id)
    if not transition_allowed(card, CardStatus.EXPIRED) or card.expires_at > now():
        return False
    card.payout = payout
    transition(card, CardStatus.EXPIRED, actor=None, event=PayoutEventType.CARD_EXPIRED, card=card.token)
    return True

