"""Every write to small payouts (SPEC §4). Admin, API, tasks and sweeps call these and nothing else.

Lock order (accounts.services): order row → shop account → the operator's quota → the payout. Creation
and approval take the order and the shop account, so two operators paying one order or one shop at the
same moment queue on those rows and the second one sums what the first committed: no cap can be passed
together (SPEC §4.2, last paragraph).
"""

import datetime as dt
import json
import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _

from accounts.models import LedgerEntry, PayoutQuota, Role, ShopAccount, User
from accounts.selectors import working_day_add
from accounts.services import ledger_post, ledger_post_locked, shop_account_lock
from core.clock import SHANGHAI, now, shanghai_date
from core.errors import ApplicationError, CommonError
from core.money import money
from core.observability import RailCallOutcome, rail_call
from core.transitions import event_add, transition, transition_allowed
from core.writebatch import WriteBatch
from notifications import texts
from notifications.models import Channel
from notifications.services import inbox_send, notification_send
from orders.events import order_event_add
from orders.models import Order
from orders.services import order_lock

from . import hooks
from .arrival import arrival_note
from .contacts import off_platform_contact_check
from .errors import PayoutError
from .models import (
    OPEN_SUBMISSION_STATES,
    CardStatus,
    FailureReason,
    FlagReason,
    PayMethod,
    Payout,
    PayoutCard,
    PayoutEvent,
    PayoutEventType,
    PayoutOrderEventType,
    PayoutRequest,
    PayoutSource,
    PayoutStatus,
    PayoutSubmission,
    PayoutType,
    PendingReason,
    RequestStatus,
    SubmissionState,
)
from .provider import (
    ErrorClass,
    ProviderResult,
    SubmissionRefused,
    Transfer,
    cancel_at_rail,
    card_rail_name,
    classify,
    get_provider,
    in_process,
    payee_of,
    provider_for,
    rail_limit_of,
    rail_name,
)
from .selectors import (
    eligibility_problems,
    order_lock_for_payout,
    payout_check,
    payout_request_decision_refusal,
    payout_sums,
    payouts_hidden,
)

logger = logging.getLogger(__name__)

# Seed 001's 「商家的自动回复」: the shop's own words (Shop.chat_auto_reply), sent as they are after the card
# confirmation; only the title is ours.
SHOP_AUTO_REPLY = texts.Text("shop_auto_reply", _("Automatic reply from the shop"), "%(reply)s")

# The tasks by name (payouts.tasks defines them): tasks import services, never the other way round.
SETTLE_TASK = "payouts.tasks.settle_payout_task"
SUBMIT_TASK = "payouts.tasks.submit_payout_task"

BUYER_NOT_REACHABLE = _("the buyer has not authorized WeChat for this shop yet; the link has been sent")
DUPLICATE_PAYMENT = texts.Text(  # to platform staff, station message: 重复到账 (PAY-S09)
    "payout_duplicate_payment", _("Payout paid twice at the rail"),
    _("Small payout #%(payout)s of order %(order_no)s (%(amount)s yuan) was paid more than once at the rail "
      "(bills %(refs)s); recover the extra payment."))
UNRECONCILED = texts.Text(  # to platform staff (reconciliation, 对账)
    "payout_unreconciled", _("Rail bill paid, payout not succeeded"),
    _("Reconciliation: the rail paid bills %(refs)s of small payout #%(payout)s (order %(order_no)s, %(amount)s "
      "yuan) while the payout is %(status)s; check it at the rail."))
CALLBACK_MISMATCH = texts.Text(  # to platform staff (PAY-S11)
    "payout_callback_refused", _("Rail report refused"),
    _("A rail report about small payout #%(payout)s of order %(order_no)s was refused (%(refs)s: %(why)s)."))


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
    """Lock the order and then its shop account in one statement, with what the rules read (the shop, its
    profile, `order.shop.account`, the buyer): payouts.selectors.order_lock_for_payout. By id, or by the
    shop's order number (404)."""
    order = order_lock_for_payout(order_id=order_id, shop_id=shop_id, order_no=order_no)
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
                       day=shanghai_date(), reserve_payout_id=True)
    order.next_payout_id = sums.payout_id  # the new payout's id, drawn with the sums (PostgreSQL; else None)
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
    accept the submission for certain (`payout_submission_send` → `payout_submission_refused`); the
    submission is recorded here (the outbox) and sent after the commit. A scan payout awaits its
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
    # PAY-S12: the rail's own limits (minimum, real-name threshold) and whether it can reach the buyer.
    provider = provider_for(order.shop_id, shop=order.shop)
    payee = payee_of(provider, order.buyer_id, data.amount)
    limit = rail_limit_of(provider, data.amount, payee)
    if limit:
        raise ApplicationError(PayoutError.RAIL_LIMIT, {"limit": limit})
    profile = order.shop.profile
    at = now()
    by_balance = data.pay_method == PayMethod.BALANCE
    identity_needed = by_balance and payee.identity_needed
    sends = by_balance and not identity_needed
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
        # PAY-B03: a WeChat payout whose buyer has no openid under the merchant's app yet is held and pending.
        status=(PayoutStatus.AWAITING_TOP_UP if not by_balance else
                PayoutStatus.PENDING if identity_needed else PayoutStatus.PROCESSING),
        pending_reason=PendingReason.BUYER_IDENTITY_NEEDED if identity_needed else "",
        attempt=1 if sends else 0, submitted_at=at if sends else None,
        auto_submit_at=at + dt.timedelta(seconds=profile.pending_auto_submit_seconds) if sends else None,
        top_up_deadline=None if by_balance else at + dt.timedelta(seconds=profile.top_up_window_seconds),
    )
    payout.shop = order.shop
    batch = WriteBatch()  # the payout and what follows go out as one statement (issue 21 item 4)
    if order.next_payout_id is not None:
        payout.pk = order.next_payout_id
        batch.insert(payout)
    else:
        payout.save()
    if by_balance:
        ledger_post_locked(account=account, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=-data.amount,
                           ref_type="payout", ref_id=payout.pk, actor=actor, batch=batch)
    submission = None
    if sends:
        # The outbox (issue 21): what must be sent is recorded in this transaction; sent after the commit.
        submission = PayoutSubmission(payout=payout, ref=_ref(payout), rail=payee.rail, amount=payout.amount,
                                      transfer={"buyer": payee.identity, "user_name": payee.user_name}
                                      if payee.identity else {}, state=SubmissionState.QUEUED, created_at=at)
    created = PayoutEvent(payout=payout, type=PayoutEventType.CREATED, actor=actor, at=at,
                          params={"amount": str(payout.amount), "pay_method": payout.pay_method,
                                  **({"request": request.pk, "approved_by": approved_by.username}
                                     if request and approved_by else {})})
    events = [created]
    if submission is not None:
        batch.insert(submission)
        events.append(PayoutEvent(payout=payout, type=PayoutEventType.SUBMITTED, actor=None, at=at,
                                  params={"attempt": payout.attempt}))
    elif by_balance:
        events.append(PayoutEvent(payout=payout, type=PayoutEventType.BUYER_IDENTITY_NEEDED, actor=None, at=at,
                                  params={}))
    batch.insert(*events)  # no save(): the written events are noted here
    payout.__dict__.setdefault("written_events", []).extend(events)
    order_event_add(order_id=order.pk, type=PayoutOrderEventType.PAYOUT_CREATED, actor=actor, payout=payout.pk,
                    amount=str(payout.amount), payout_type=payout.type, pay_method=payout.pay_method, batch=batch)
    batch.flush()
    if submission is not None:
        buyer = order.buyer.username if Order.buyer.is_cached(order) else ""  # read with the order's lock
        transaction.on_commit(lambda sub=submission, shop=order.shop_id, pid=payout.pk, rail=provider, who=buyer:
                              _dispatch(sub.pk, shop, pid, provider=rail, first=sub, buyer=who))
    elif by_balance:
        transaction.on_commit(lambda p=payout: hooks.payout_buyer_identity_needed(p))
    return payout


def _insert_submission_and_events(submission: PayoutSubmission | None, events: list[PayoutEvent]) -> None:
    """The outbox row and the timeline of a new payout in one statement on PostgreSQL (the hot path, issue 21:
    the outbox costs no extra round trip); elsewhere through the ORM."""
    if connection.vendor != "postgresql" or submission is None:
        if submission is not None:
            submission.save()
        PayoutEvent.objects.bulk_create(events)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH s AS (
                   INSERT INTO payouts_payoutsubmission (payout_id, ref, rail, amount, transfer, state, error_code,
                                                         sends, queries, created_at)
                   VALUES (%s, %s, %s, %s, %s::jsonb, %s, '', 0, 0, %s) RETURNING id)
               INSERT INTO payouts_payoutevent (type, actor_id, at, params, payout_id)
               SELECT e.type, e.actor_id, e.at, e.params::jsonb, e.payout_id
               FROM UNNEST(%s::varchar[], %s::bigint[], %s::timestamptz[], %s::text[], %s::bigint[])
                    AS e(type, actor_id, at, params, payout_id)
               RETURNING id, (SELECT id FROM s)""",
            [submission.payout_id, submission.ref, submission.rail, submission.amount,
             json.dumps(submission.transfer), submission.state, submission.created_at,
             [e.type for e in events], [e.actor_id for e in events], [e.at for e in events],
             [json.dumps(e.params) for e in events], [e.payout_id for e in events]])
        rows = cursor.fetchall()
    for event, (pk, _submission_pk) in zip(events, rows, strict=True):
        event.pk = event.id = pk
        event._state.adding = False
    submission.pk = submission.id = rows[0][1]
    submission._state.adding = False


def _submit(payout: Payout, *, actor: User | None, event: str = PayoutEventType.SUBMITTED,
            transfer: dict | None = None) -> PayoutSubmission | None:
    """pending / awaiting top-up / failed → processing, with its submission recorded in this transaction (the
    outbox) and sent after the commit (PAY-S01, issue 21).

    PAY-S09: the same business key wherever the rail allows it — a pending payout the rail refused for certain
    is sent again under the key it refused (nothing exists there); a new key (attempt + 1) only after every key
    the payout was sent under is final at the rail (failed for good). A WeChat payout whose buyer has no openid
    under the merchant's app stays pending (`buyer_identity_needed`, PAY-B03)."""
    if PayoutSubmission.objects.filter(payout=payout, state__in=OPEN_SUBMISSION_STATES).exists():
        raise ApplicationError(PayoutError.PAYOUT_OUTCOME_UNKNOWN)
    provider = provider_for(payout.shop_id)
    if transfer is None:
        payee = payee_of(provider, payout.order.buyer_id, payout.amount)
        if payee.identity_needed:
            _identity_needed(payout, actor=actor)
            return None
        transfer = {"buyer": payee.identity, "user_name": payee.user_name, "rail": payee.rail}
    refused = (PayoutSubmission.objects.select_for_update().filter(payout=payout, state=SubmissionState.REFUSED)
               .order_by("-created_at", "-id").first())
    payout.submitted_at = now()
    payout.pending_reason = ""
    if refused is not None and refused.ref == _ref(payout) and refused.transfer.get("account", "") == transfer.get(
            "account", ""):
        refused.state, refused.error_code, refused.transfer = SubmissionState.QUEUED, "", transfer
        refused.save(update_fields=["state", "error_code", "transfer"])
        submission = refused
    else:
        payout.attempt += 1
        submission = PayoutSubmission.objects.create(
            payout=payout, ref=_ref(payout), rail=transfer.get("rail", "") or rail_name(provider),
            amount=payout.amount, transfer=transfer, state=SubmissionState.QUEUED, created_at=payout.submitted_at)
    transition(payout, PayoutStatus.PROCESSING, actor=actor, event=event,
               fields=("submitted_at", "attempt", "pending_reason"), attempt=payout.attempt)
    transaction.on_commit(lambda sid=submission.pk, shop=payout.shop_id, pid=payout.pk: _dispatch(sid, shop, pid))
    return submission


def _ref(payout: Payout) -> str:
    return f"PO{payout.pk}-{payout.attempt}"


def _identity_needed(payout: Payout, *, actor: User | None) -> None:
    """PAY-B03: pending until the buyer authorizes WeChat; the buyer's pages send the link (hook)."""
    payout.pending_reason = PendingReason.BUYER_IDENTITY_NEEDED
    payout.auto_submit_at = None
    if payout.status != PayoutStatus.PENDING:
        transition(payout, PayoutStatus.PENDING, actor=actor, event=PayoutEventType.BUYER_IDENTITY_NEEDED,
                   fields=("pending_reason", "auto_submit_at"))
    else:
        payout.save(update_fields=["pending_reason", "auto_submit_at"])
        event_add(payout, type=PayoutEventType.BUYER_IDENTITY_NEEDED, actor=actor)
    transaction.on_commit(lambda p=payout: hooks.payout_buyer_identity_needed(p))


def _dispatch(submission_id: int, shop_id: int, payout_id: int, *, provider=None,
              first: PayoutSubmission | None = None, buyer: str = "") -> None:
    """After commit: a rail in this process (`in_process`) is sent to at once; any other by a worker
    (submit_payout_task), so no request waits on a rail's network. Without a broker the settle sweep sends
    what is still queued (the recovery path). `first`: the first key of a payout this request created, with
    the rail the request resolved — sent from what is in hand (no re-read; issue 21: the in-process
    submission costs the rail's own book and one UPDATE of the outbox row)."""
    provider = provider or provider_for(shop_id)
    if in_process(provider) and first is not None:
        if _send(first, payout_id, provider, buyer) == SubmissionState.ACCEPTED:
            _settle_soon(payout_id)
        return
    if in_process(provider):
        if payout_submission_send(submission_id=submission_id, provider=provider) == SubmissionState.ACCEPTED:
            _settle_soon(payout_id)
        return
    if settings.PAYOUT_SUBMIT_INLINE:
        payout_submission_deliver(submission_id=submission_id)
        return
    try:
        _enqueue(SUBMIT_TASK, (submission_id,))
    except Exception:  # no broker: the settle sweep sends it by the next clock run
        logger.warning("submission %s: no broker, the settle sweep sends it", submission_id)


def _enqueue(name: str, args: tuple) -> None:
    """Hand a task to the workers, as the deployment's Celery configuration says (a registered task honours
    `task_always_eager`); no publish retries: without a broker the clock is the recovery path."""
    task = current_app.tasks.get(name)
    if task is not None:
        task.apply_async(args=args, retry=False)
    else:
        current_app.send_task(name, args=args, retry=False)


def _transfer_of(submission: PayoutSubmission, payout: Payout) -> Transfer:
    data = submission.transfer or {}
    buyer = data.get("buyer") or Payout.objects.filter(pk=payout.pk).values_list(
        "order__buyer__username", flat=True).first()
    return Transfer(ref=submission.ref, payout_id=payout.pk, amount=submission.amount, buyer=buyer,
                    account=data.get("account", ""), account_kind=data.get("account_kind", ""),
                    account_name=data.get("account_name", ""), account_bank=data.get("account_bank", ""),
                    user_name=data.get("user_name", ""))


def _backoff_at(tries: int) -> dt.datetime:
    """A counter and a growing delay between queries that failed (30 s, 60 s … at most an hour)."""
    return now() + dt.timedelta(seconds=min(30 * 2 ** max(tries - 1, 0), 3600))


def payout_submission_send(*, submission_id: int, provider=None) -> str:
    """Send one queued submission to its rail (the worker, an in-process rail, the settle sweep) and record
    what the rail said: `accepted`; `refused` for certain (→ pending, PAY-S01); anything else `unknown`
    (→ stays processing under the same key, asked by the settle sweep, PAY-S09). Before a key goes out, every
    other key of the payout that could still succeed is asked about first; none goes out while one is open.
    Returns the submission's state."""
    submission = PayoutSubmission.objects.select_related("payout").filter(pk=submission_id).first()
    if submission is None or submission.state != SubmissionState.QUEUED:
        return submission.state if submission else ""
    payout = submission.payout
    if payout.status != PayoutStatus.PROCESSING:
        return submission.state
    provider = provider or provider_for(payout.shop_id)
    for other in payout.submissions.exclude(pk=submission.pk).filter(
            state__in=(SubmissionState.UNKNOWN, SubmissionState.ACCEPTED)):
        payout_submission_ask(submission=other, provider=provider)
    if payout.submissions.exclude(pk=submission.pk).filter(
            state__in=(SubmissionState.UNKNOWN, SubmissionState.ACCEPTED, SubmissionState.SUCCEEDED)).exists():
        return submission.state  # an earlier key can still succeed (or did): this one waits (or never goes)
    return _send(submission, payout.pk, provider, _transfer_of(submission, payout).buyer)


@contextmanager
def _rail_call(provider, op: str, rail: str = ""):
    """A call to a remote rail, timed and counted (OPS-02 `backoffice_rail_*`); a call to an in-process rail is
    not a rail call and costs no statement."""
    if in_process(provider):
        yield RailCallOutcome()
        return
    with rail_call(rail or rail_name(provider), op) as call:
        yield call


def _send(submission: PayoutSubmission, payout_id: int, provider, buyer: str) -> str:
    data = submission.transfer or {}
    transfer = Transfer(ref=submission.ref, payout_id=payout_id, amount=submission.amount,
                        buyer=data.get("buyer") or buyer, account=data.get("account", ""),
                        account_kind=data.get("account_kind", ""), account_name=data.get("account_name", ""),
                        user_name=data.get("user_name", ""))
    sent_at = now()
    try:
        with _rail_call(provider, "submit", submission.rail) as call:
            try:
                provider.submit(transfer)
            except SubmissionRefused:
                call.outcome = "refused"
                raise
            except Exception:
                call.outcome = "unknown"
                raise
            call.outcome = "accepted"
    except SubmissionRefused as exc:  # refused for certain: pending (PAY-S01), never resubmitted silently
        payout_submission_refused(payout_id=payout_id, ref=transfer.ref, error_code=exc.code)
        return SubmissionState.REFUSED
    except Exception as exc:  # the outcome is unknown: the same key stays the payout's (PAY-S09)
        logger.warning("payout %s: outcome of %s unknown (%s); asking the rail", payout_id, transfer.ref, exc)
        payout_submission_unknown(payout_id=payout_id, ref=transfer.ref, error=f"{type(exc).__name__}: {exc}"[:200])
        return SubmissionState.UNKNOWN
    PayoutSubmission.objects.filter(pk=submission.pk, state=SubmissionState.QUEUED).update(
        state=SubmissionState.ACCEPTED, sends=F("sends") + 1, sent_at=sent_at)
    return SubmissionState.ACCEPTED


def payout_submission_deliver(*, submission_id: int) -> None:
    """The worker's task: send a queued submission, then ask the rail once at once (an instant success, a
    WAIT_USER_CONFIRM whose package the buyer needs)."""
    if payout_submission_send(submission_id=submission_id) == SubmissionState.ACCEPTED:
        payout_id = PayoutSubmission.objects.values_list("payout_id", flat=True).get(pk=submission_id)
        payout_settle(payout_id=payout_id, force=True)


@transaction.atomic
def payout_submission_unknown(*, payout_id: int, ref: str, error: str) -> bool:
    """PAY-S09: the rail may or may not have the transfer: the payout stays processing under this key, and the
    settle sweep asks the rail about it (with a growing delay when the rail does not answer)."""
    payout = _lock_payout(payout_id)
    updated = PayoutSubmission.objects.filter(payout=payout, ref=ref, state=SubmissionState.QUEUED).update(
        state=SubmissionState.UNKNOWN, error_code=error[:64], next_query_at=now(), sends=F("sends") + 1,
        sent_at=now())
    if updated:
        event_add(payout, type=PayoutEventType.OUTCOME_UNKNOWN, ref=ref)
    return bool(updated)


@transaction.atomic
def payout_submission_refused(*, payout_id: int, ref: str, error_code: str) -> bool:
    """The rail refused the submission `ref` for certain (PAY-S01): the payout is pending — the operator continues
    it (继续打款) or the clock submits it again by the profile's auto-submit age after its creation (PAY-S02),
    or at its next run when that age has passed, under the same key. Nothing is debited or released: the hold
    stays as it was."""
    payout = _lock_payout(payout_id)
    PayoutSubmission.objects.filter(payout=payout, ref=ref, state__in=(SubmissionState.QUEUED,)).update(
        state=SubmissionState.REFUSED, error_code=error_code[:64], sends=F("sends") + 1, sent_at=now())
    if payout.status != PayoutStatus.PROCESSING or ref != _ref(payout):
        return False  # a later attempt, or a result already applied
    if PayoutSubmission.objects.filter(payout=payout, state__in=OPEN_SUBMISSION_STATES).exists():
        return False
    due = payout.created_at + dt.timedelta(seconds=payout.shop.profile.pending_auto_submit_seconds)
    payout.auto_submit_at = max(due, now())
    payout.pending_reason = PendingReason.RAIL_REFUSED
    transition(payout, PayoutStatus.PENDING, actor=None, event=PayoutEventType.SUBMISSION_REFUSED,
               fields=("auto_submit_at", "pending_reason"), ref=ref, error_code=error_code)
    return True


def payout_submission_ask(*, submission: PayoutSubmission, provider=None) -> ProviderResult | None:
    """Ask the rail about one key (query) and act on its answer: a final state is applied to the payout; "no
    such key" after an unknown outcome queues the same key again (PAY-S09); no answer backs off."""
    payout_id = submission.payout_id
    provider = provider or provider_for(Payout.objects.values_list("shop_id", flat=True).get(pk=payout_id))
    try:
        with _rail_call(provider, "query", submission.rail):
            result = provider.query(submission.ref)
    except Exception as exc:
        tries = submission.queries + 1
        PayoutSubmission.objects.filter(pk=submission.pk).update(queries=tries, next_query_at=_backoff_at(tries))
        logger.warning("payout %s: query of %s failed (%s), asked again later", payout_id, submission.ref, exc)
        return None
    PayoutSubmission.objects.filter(pk=submission.pk).update(next_query_at=None)
    if result.status == "failed" and result.error_code == "NOT_FOUND":
        if submission.state in (SubmissionState.UNKNOWN, SubmissionState.ACCEPTED):
            # The rail has no such key: it never arrived. The same key goes out again (it cannot pay twice).
            PayoutSubmission.objects.filter(pk=submission.pk, state=submission.state).update(
                state=SubmissionState.QUEUED)
        return result
    if result.status == "processing":
        if submission.state == SubmissionState.UNKNOWN:
            PayoutSubmission.objects.filter(pk=submission.pk, state=SubmissionState.UNKNOWN).update(
                state=SubmissionState.ACCEPTED)
        if result.waiting_for_buyer:
            payout_waiting_for_buyer(payout_id=payout_id, ref=submission.ref, result=result)
        return result
    payout_apply_result(payout_id=payout_id, result=result, source=PayoutSource.QUERY, ref=submission.ref)
    return result


@transaction.atomic
def payout_waiting_for_buyer(*, payout_id: int, ref: str, result: ProviderResult) -> bool:
    """PAY-B04: WeChat waits for the buyer to confirm receipt: keep its package_info and deadline; the payout
    reads 待买家确认收款 until the rail reports the result; the buyer's pages send the confirm link (hook)."""
    payout = _lock_payout(payout_id)
    if payout.status != PayoutStatus.PROCESSING or payout.package_info == result.package_info:
        return False
    payout.package_info, payout.confirm_deadline = result.package_info, result.confirm_deadline
    payout.save(update_fields=["package_info", "confirm_deadline"])
    event_add(payout, type=PayoutEventType.WAITING_FOR_BUYER, ref=ref)
    transaction.on_commit(lambda p=payout: hooks.payout_waiting_for_buyer(p))
    return True


@transaction.atomic
def payout_buyer_identity_known(*, payout_id: int) -> bool:
    """PAY-B03: the buyer authorized WeChat (their openid under the merchant's app is kept): a payout pending
    for it is submitted now."""
    payout = _lock_payout(payout_id)
    if payout.status != PayoutStatus.PENDING or payout.pending_reason != PendingReason.BUYER_IDENTITY_NEEDED:
        return False
    return _submit(payout, actor=None, event=PayoutEventType.SUBMITTED) is not None


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
    if payout.status == PayoutStatus.PROCESSING and PayoutSubmission.objects.filter(
            payout=payout, state=SubmissionState.UNKNOWN).exists():
        # PAY-S09: the last submission's outcome is being cleared up with the rail; a worker asks it now.
        transaction.on_commit(lambda pid=payout.pk: _settle_soon(pid))
        raise ApplicationError(PayoutError.PAYOUT_OUTCOME_UNKNOWN)
    if payout.status != PayoutStatus.PENDING:
        raise ApplicationError(PayoutError.PAYOUT_NOT_PENDING)
    if _submit(payout, actor=actor, event=PayoutEventType.CONTINUED) is None:
        raise ApplicationError(PayoutError.RAIL_LIMIT, {"limit": str(BUYER_NOT_REACHABLE)})
    return payout


def _settle_soon(payout_id: int) -> None:
    try:
        current_app.send_task(SETTLE_TASK, args=(payout_id,), retry=False)
    except Exception:
        logger.warning("payout %s: no broker, the settle sweep asks the rail", payout_id)


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
    """Apply what the rail reports about one key (PAY-S03, S07, S09). Idempotent: a duplicate changes nothing.

    A success for **any** key the payout was sent under is its success — after a reported failure too (the
    rail's last word wins); a second key paid for one payout is flagged to platform staff at once (重复到账).
    A success after the close is recorded and flagged (PAY-S06). A failure of a key that is not the payout's
    current one is recorded and ignored; a report for a key the payout was never sent under is refused and
    flagged (PAY-S11)."""
    payout = _lock_payout(payout_id)
    current_ref = _ref(payout)
    ref = ref or current_ref
    if result.status == "processing":
        return payout
    submission = PayoutSubmission.objects.select_for_update().filter(payout=payout, ref=ref).first()
    if submission is None and ref == current_ref and payout.attempt > 0 and payout.submitted_at is not None:
        submission = _legacy_submission(payout)
    if submission is None:
        _flag(payout, FlagReason.CALLBACK_MISMATCH, PayoutEventType.CALLBACK_REFUSED, source=source, ref=ref,
              reported=result.status, why="not a key of this payout")
        return payout
    if result.status == "succeeded":
        first_time = submission.state != SubmissionState.SUCCEEDED
        if first_time:
            submission.state, submission.error_code, submission.settled_at = SubmissionState.SUCCEEDED, "", now()
            submission.save(update_fields=["state", "error_code", "settled_at"])
        paid = list(PayoutSubmission.objects.filter(payout=payout, state=SubmissionState.SUCCEEDED)
                    .values_list("ref", flat=True))
        if len(paid) > 1 and first_time:
            _flag_duplicate(payout, paid, source=source)
        if payout.status == PayoutStatus.SUCCEEDED:
            return payout  # a duplicate report (or a second bill, flagged above)
        if payout.status == PayoutStatus.CLOSED:
            if first_time:
                _flag(payout, FlagReason.LATE_SUCCESS, PayoutEventType.LATE_SUCCESS_FLAGGED, source=source, ref=ref)
            return payout
        if not transition_allowed(payout, PayoutStatus.SUCCEEDED):
            event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, reported="succeeded",
                      status=payout.status)
            return payout
        _succeed(payout, source=source, ref=ref)
        return payout
    # failed
    if submission.state in (SubmissionState.SUCCEEDED, SubmissionState.FAILED):
        if submission.state == SubmissionState.SUCCEEDED or payout.status != PayoutStatus.PROCESSING:
            event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, ref=ref, reported="failed",
                      status=payout.status)
            return payout
    kind = classify(result.error_code)
    if kind is ErrorClass.TRANSIENT and payout.status == PayoutStatus.PROCESSING and ref == current_ref:
        # Nothing was made at the rail: the same business key again (the rail pays it at most once).
        submission.state, submission.error_code = SubmissionState.QUEUED, result.error_code[:64]
        submission.save(update_fields=["state", "error_code"])
        event_add(payout, type=PayoutEventType.RETRIED, source=source, error_code=result.error_code)
        transaction.on_commit(lambda sid=submission.pk, shop=payout.shop_id, pid=payout.pk: _dispatch(sid, shop, pid))
        return payout
    submission.state, submission.error_code, submission.settled_at = (
        SubmissionState.FAILED, result.error_code[:64], now())
    submission.save(update_fields=["state", "error_code", "settled_at"])
    if ref != current_ref:
        event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, ref=ref, reported="failed",
                  why="an earlier attempt")
        return payout
    if not transition_allowed(payout, PayoutStatus.FAILED) or payout.status == PayoutStatus.PENDING:
        event_add(payout, type=PayoutEventType.CALLBACK_IGNORED, source=source, reported="failed",
                  status=payout.status)
        return payout
    reason = FailureReason.BUYER_ACCOUNT_INVALID if kind is ErrorClass.BUYER_FIXABLE else FailureReason.PROVIDER_ERROR
    _fail(payout, reason=reason, error_code=result.error_code, source=source)
    return payout


def _succeed(payout: Payout, *, source: str, ref: str) -> None:
    retake = payout.status == PayoutStatus.FAILED and payout.held < payout.amount and payout.pay_method == PayMethod.BALANCE
    payout.succeeded_at = now()
    payout.pending_reason = ""
    if retake:
        # Douyin gave the money back at the failure; the rail paid after all (PAY-S09): it leaves the balance
        # again (what the balance lacks is owed from the deposit), so the ledger says what the rail did.
        missing = payout.amount - payout.held
        account = shop_account_lock(shop_id=payout.shop_id)
        from_balance = min(missing, max(account.balance, Decimal("0")))
        ledger_post_locked(account=account, kind=LedgerEntry.Kind.PAYOUT_HOLD, balance=-from_balance,
                           deposit=-(missing - from_balance), ref_type="payout", ref_id=payout.pk)
    payout.held = 0  # paid: nothing of it can come back
    transition(payout, PayoutStatus.SUCCEEDED, actor=None, event=PayoutEventType.SUCCEEDED,
               fields=("succeeded_at", "held", "pending_reason"), source=source, ref=ref)
    _close_open_cards(payout)
    _wipe_card_accounts(payout)
    order_event_add(order_id=payout.order_id, type=PayoutOrderEventType.PAYOUT_SUCCEEDED, actor=None, payout=payout.pk,
                    amount=str(payout.amount))
    # PAY-S04: app message and WeChat 「商家补偿转账通知」.
    _notify(payout, texts.PAYOUT_SUCCEEDED, Channel.APP, Channel.WECHAT, shop=payout.shop.name,
            amount=payout.amount, order_no=payout.order.order_no, message=payout.buyer_message,
            arrival=arrival_note(payout))


def _flag(payout: Payout, reason: str, event: str, **params) -> None:
    payout.flagged = True
    if not payout.flag_reason or reason == FlagReason.DUPLICATE_PAYMENT:
        payout.flag_reason = reason
    payout.save(update_fields=["flagged", "flag_reason"])
    event_add(payout, type=event, **params)


def _staff_message(payout: Payout, text: texts.Text, **params) -> None:
    staff = list(User.objects.filter(role=Role.PLATFORM, is_active=True).values_list("pk", flat=True))
    inbox_send(text, shop_id=payout.shop_id, to=staff, order_id=payout.order_id, about=payout,
               payout=payout.pk, order_no=payout.order.order_no, **params)


def _flag_duplicate(payout: Payout, refs: list[str], *, source: str) -> None:
    """PAY-S09: one payout paid under two keys — an event, a station message to platform staff, 重复到账."""
    _flag(payout, FlagReason.DUPLICATE_PAYMENT, PayoutEventType.DUPLICATE_PAYMENT_FLAGGED, source=source,
          ref=", ".join(refs))
    _staff_message(payout, DUPLICATE_PAYMENT, refs=", ".join(refs), amount=payout.amount)


@transaction.atomic
def payout_flag_unreconciled(*, payout_id: int, refs: list[str], twice: bool) -> bool:
    """Reconciliation (对账) found a paid bill whose payout has not succeeded, or two paid bills for one payout:
    flagged to platform staff at once, with the bills named — once per payout and problem."""
    payout = _lock_payout(payout_id)
    reason = FlagReason.DUPLICATE_PAYMENT if twice else FlagReason.UNRECONCILED
    if payout.flagged and (payout.flag_reason == reason or not twice):
        return False  # platform staff have it already
    _flag(payout, reason, PayoutEventType.DUPLICATE_PAYMENT_FLAGGED if twice else PayoutEventType.CALLBACK_REFUSED,
          source="reconciliation", ref=", ".join(refs), why="reconciliation")
    _staff_message(payout, DUPLICATE_PAYMENT if twice else UNRECONCILED, refs=", ".join(refs), amount=payout.amount,
                   status=payout.get_status_display())
    return True


@transaction.atomic
def payout_flag_callback(*, payout_id: int, ref: str, why: str) -> None:
    """PAY-S11: a rail's report that does not match the payout (a key it was not sent under on that rail, or
    another amount) is refused and flagged to platform staff."""
    payout = _lock_payout(payout_id)
    _flag(payout, FlagReason.CALLBACK_MISMATCH, PayoutEventType.CALLBACK_REFUSED, source=PayoutSource.CALLBACK,
          ref=ref, why=why)
    _staff_message(payout, CALLBACK_MISMATCH, refs=ref, why=why)


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
            amount=payout.amount, reason=FailureReason(reason))  # the label, never the code (SEC-06)
    inbox_send(texts.PAYOUT_FAILED_SHOP, shop_id=payout.shop_id, to=(Role.MAIN, payout.applicant_id), order_id=payout.order_id,
               about=payout, order_no=payout.order.order_no, amount=payout.amount,
               reason=FailureReason(reason).label)  # NTF-01
    if reason == FailureReason.BUYER_ACCOUNT_INVALID and profile.account_card_enabled:
        _card_send(payout, actor=None)  # PAY-C01


def _legacy_submission(payout: Payout) -> PayoutSubmission:
    """A payout submitted before the submission book existed: its current key is booked as unknown, so the
    rail is asked about it first (PAY-S09)."""
    submission, _ = PayoutSubmission.objects.get_or_create(
        ref=_ref(payout), defaults={"payout": payout, "amount": payout.amount, "state": SubmissionState.UNKNOWN,
                                    "rail": "", "created_at": payout.submitted_at or now(), "next_query_at": None})
    return submission


def payout_settle(*, payout_id: int, force: bool = False) -> Payout | None:
    """Clear up a payout with its rail (the settle task and sweep, PAY-S03/S09): every key still open is dealt
    with oldest first — a queued one is sent (the outbox's recovery path), an unknown or accepted one is asked
    about (when its back-off has passed, or `force`)."""
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None:
        return None
    provider = provider_for(payout.shop_id)
    at = now()
    if (payout.status == PayoutStatus.PROCESSING and payout.attempt > 0
            and not PayoutSubmission.objects.filter(payout=payout, ref=_ref(payout)).exists()):
        _legacy_submission(payout)
    for submission in PayoutSubmission.objects.filter(payout_id=payout_id, state__in=OPEN_SUBMISSION_STATES):
        if submission.state == SubmissionState.QUEUED:
            if payout_submission_send(submission_id=submission.pk, provider=provider) != SubmissionState.ACCEPTED:
                continue
            submission.refresh_from_db()
            force_this = True
        else:
            force_this = force
        if force_this or submission.next_query_at is None or submission.next_query_at <= at:
            answer = payout_submission_ask(submission=submission, provider=provider)
            if answer is not None and answer.status == "failed" and answer.error_code == "NOT_FOUND":
                if payout_submission_send(submission_id=submission.pk, provider=provider) == SubmissionState.ACCEPTED:
                    submission.refresh_from_db()
                    payout_submission_ask(submission=submission, provider=provider)
    return Payout.objects.get(pk=payout_id)


# ---------------------------------------------------------------------------------------------- cards


def _close_open_cards(payout: Payout) -> None:
    """The payout's open card expires (one open card per payout, PAY-C03)."""
    for card in payout.cards.filter(status=CardStatus.SENT):
        card.payout = payout
        transition(card, CardStatus.EXPIRED, actor=None, event=PayoutEventType.CARD_EXPIRED, card=card.token)


def _wipe_card_accounts(payout: Payout) -> None:
    """PAY-C04: the full account is kept only for the retry (on the card and in the submission book)."""
    payout.cards.exclude(account_for_retry="").update(account_for_retry="")
    for submission in PayoutSubmission.objects.filter(payout=payout, transfer__has_key="account"):
        if submission.transfer.get("account"):
            submission.transfer = {**submission.transfer, "account": _mask(submission.transfer["account"])}
            submission.save(update_fields=["transfer"])


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
    transaction.on_commit(lambda p=payout: hooks.payout_card_sent(p))  # the card page's link (PAY-B02)
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
def payout_card_submit(*, token: str, buyer: User, channel: str, account: str, name: str, bank: str = "") -> PayoutCard:
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
    card.channel, card.holder_name, card.bank_name = channel, name.strip(), bank.strip()
    card.account_masked, card.account_for_retry = _mask(account), account
    card.submitted_at = now()
    transition(card, CardStatus.SUBMITTED, actor=buyer, event=PayoutEventType.CARD_SUBMITTED,
               fields=("channel", "holder_name", "bank_name", "account_masked", "account_for_retry", "submitted_at"),
               card=card.token, channel=channel, account=card.account_masked)
    _notify(payout, texts.CARD_CONFIRMED, Channel.CHAT)
    # Seed 001: 「聊天页会自动发送确认信息,以及商家的自动回复」 — the shop's own text, where its main account set one.
    reply = payout.shop.chat_auto_reply.strip()
    if reply:
        _notify(payout, SHOP_AUTO_REPLY, Channel.CHAT, reply=reply)
    payout.failure_reason = ""
    provider = provider_for(payout.shop_id)
    _submit(payout, actor=buyer, event=PayoutEventType.RETRIED,
            transfer={"buyer": "", "account": account, "account_kind": channel, "account_name": card.holder_name,
                      "account_bank": card.bank_name, "rail": card_rail_name(provider)})
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
    if payout.status != PayoutStatus.PENDING or payout.auto_submit_at is None or payout.auto_submit_at > now():
        return False
    return _submit(payout, actor=None, event=PayoutEventType.AUTO_SUBMITTED) is not None


CLOSABLE = (PayoutStatus.PROCESSING, PayoutStatus.FAILED, PayoutStatus.PENDING)


def _closable(payout: Payout) -> bool:
    if payout.status == PayoutStatus.PENDING:
        return payout.pending_reason == PendingReason.BUYER_IDENTITY_NEEDED and payout.close_at <= now()
    return payout.status in CLOSABLE and payout.close_at <= now()


def payout_close_at_rail(*, payout_id: int) -> bool:
    """PAY-S10 (the close clock): before a payout closes, every key it was sent under that the rail may still
    pay is cancelled at the rail (WeChat: cancel the bill; Alipay: read its final state) and the rail's final
    state is acted on: paid → the payout succeeded; cancelled or failed → it closes and its money is due back;
    anything else (cancelling, no answer) → it stays as it is and the next run asks again."""
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None or not _closable(payout):
        return False
    provider = provider_for(payout.shop_id)
    waiting = False
    for submission in PayoutSubmission.objects.filter(payout=payout, state__in=OPEN_SUBMISSION_STATES):
        if submission.state == SubmissionState.QUEUED and submission.sends == 0:
            continue  # never sent: payout_close voids it under the lock
        try:
            with _rail_call(provider, "cancel", submission.rail):
                result = cancel_at_rail(provider, submission.ref)
        except Exception as exc:
            logger.warning("payout %s: cancel of %s unanswered (%s); the close waits", payout_id, submission.ref, exc)
            waiting = True
            continue
        if result.status == "succeeded":
            payout_apply_result(payout_id=payout_id, result=result, source=PayoutSource.QUERY, ref=submission.ref)
            return True
        if result.status == "failed":
            PayoutSubmission.objects.filter(pk=submission.pk, state=submission.state).update(
                state=SubmissionState.FAILED, error_code=(result.error_code or "CANCELLED")[:64], settled_at=now())
            continue
        _cancel_requested(payout_id=payout_id, ref=submission.ref, state=result.state)
        waiting = True
    if waiting:
        return False
    return payout_close(payout_id=payout_id)


@transaction.atomic
def _cancel_requested(*, payout_id: int, ref: str, state: str) -> None:
    payout = _lock_payout(payout_id)
    if not payout.events.filter(type=PayoutEventType.CANCEL_REQUESTED, params__ref=ref).exists():
        event_add(payout, type=PayoutEventType.CANCEL_REQUESTED, ref=ref, status=state or "processing")


@transaction.atomic
def payout_close(*, payout_id: int) -> bool:
    """PAY-S06: a payout still not succeeded 7 days after creation closes; its open card expires; money it
    still holds returns on the profile's working day after the close (return_due_at). Only once the rail has
    confirmed every key cancelled or failed (PAY-S10, `payout_close_at_rail`): a key still open keeps it."""
    payout = _lock_payout(payout_id)
    if not _closable(payout):
        return False
    open_keys = PayoutSubmission.objects.select_for_update().filter(payout=payout, state__in=OPEN_SUBMISSION_STATES)
    if open_keys.exclude(state=SubmissionState.QUEUED, sends=0).exists():
        return False
    open_keys.update(state=SubmissionState.FAILED, error_code="VOID_NEVER_SENT", settled_at=now())
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

