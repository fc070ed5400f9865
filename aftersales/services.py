"""Every write to after-sales tickets. Lock order: order → ticket → shop account (see accounts.services)."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from accounts.models import LedgerEntry, Role, User
from accounts.services import ledger_charge
from core import hooks
from core.clock import now
from core.errors import ApplicationError, CommonError
from core.money import money
from core.transitions import event_add, transition, transition_allowed
from notifications import texts
from notifications.models import Channel
from notifications.services import inbox_send, notification_send
from orders.couriers import tracking_no_valid
from orders.events import order_event_add
from orders.models import Order, OrderEvent, Parcel, Refund
from orders.services import order_lock

from .adapters import refund_route
from .errors import AftersalesError
from .models import (
    FINISHED_STATUSES,
    AftersalesEntry,
    AftersalesOrderEventType,
    DeadlineAction,
    EntryRequest,
    ReshipPenalty,
    ReshipReason,
    ShippedTrackingNumber,
    Ticket,
    TicketEventType,
    TicketStatus,
    TicketType,
)
from .selectors import ARBITRATION_STATUSES, aftersales_period_over, entry_eligibility, entry_open_get, entry_pending_request_get

# A ticket move the table refuses keeps answering `ticket_not_actionable` (API.md).
NOT_ACTIONABLE = AftersalesError.NOT_ACTIONABLE


def ticket_lock(*, ticket_id: int) -> Ticket:
    """Lock the ticket's order, then the ticket (the fixed lock order), and return the fresh ticket."""
    order_id = Ticket.objects.values_list("order_id", flat=True).get(pk=ticket_id)
    Order.objects.select_for_update().only("pk").get(pk=order_id)
    # OF self: the joined order is already locked, and the shop row must not be (that would serialise every
    # ticket of a shop).
    return Ticket.objects.select_for_update(of=("self",)).select_related("order", "shop").get(pk=ticket_id)


@transaction.atomic
def ticket_refund(*, ticket: Ticket, actor: User | None, cause: str) -> Ticket:
    """Refund a ticket in full, once: the money leaves the shop through the ledger (ASE-R03 waterfall),
    the order gets a succeeded Refund and its refund state, the ticket becomes `refunded`.

    Locks order → ticket → shop account. A ticket already finished is returned unchanged, so a clock
    and a courier callback arriving together refund once. `cause` names what refunded it
    (`merchant_approved`, `interception_succeeded`, `shipment_deadline`, `arbitration`, …).
    """
    ticket = ticket_lock(ticket_id=ticket.pk)
    if ticket.is_finished:
        return ticket
    # The ticket table decides before any money moves: a rejected ticket, say, never becomes refunded.
    if not transition_allowed(ticket, TicketStatus.REFUNDED):
        raise ApplicationError(NOT_ACTIONABLE)
    order = ticket.order
    amount = money(ticket.amount if ticket.amount is not None else order.paid_amount)
    # ASE-R03: borne by the merchant in full — balance, else deposit, else a platform advance.
    source = ledger_charge(shop_id=ticket.shop_id, amount=amount, kind=LedgerEntry.Kind.MERCHANT_REFUND,
                           ref_type="ticket", ref_id=ticket.pk, actor=actor, memo=cause)
    at = now()
    Refund.objects.create(order=order, amount=amount, status=Refund.Status.SUCCEEDED, reason=cause, created_at=at)
    refunded = sum((r.amount for r in order.refunds.filter(status=Refund.Status.SUCCEEDED)), Decimal("0"))
    order.refund_state = Order.RefundState.FULL if refunded >= order.paid_amount else Order.RefundState.PARTIAL
    order.save(update_fields=["refund_state"])
    return transition(ticket, TicketStatus.REFUNDED, event=TicketEventType.REFUNDED, actor=actor, at=at,
                      error=NOT_ACTIONABLE, amount=str(amount), source=source, cause=cause)


def ticket_refund_allowed(ticket: Ticket) -> bool:
    """Whether the ticket table lets the ticket become `refunded` now (INT-01, INT-07: an interception's
    success refunds only such a ticket)."""
    return not ticket.is_finished and transition_allowed(ticket, TicketStatus.REFUNDED)


# --- The rest of the after-sales writes (SPEC §5, §6). Every service locks order → ticket → shop account. ---


def _check_version(ticket: Ticket, version: int | None) -> None:
    # Douyin's afterSale/operate carries the ticket's version: a decision taken on a stale page changes nothing.
    if version is not None and version != ticket.version:
        raise ApplicationError(AftersalesError.VERSION_STALE, extra={"version": ticket.version})


def _check_merchant(ticket: Ticket, actor: User) -> None:
    if not (actor.is_superuser or (actor.is_shop_member and actor.shop_id == ticket.shop_id)):
        raise ApplicationError(AftersalesError.NOT_SHOP_MEMBER)


def _check_buyer(ticket: Ticket, actor: User) -> None:
    if actor.pk != ticket.buyer_id:
        raise ApplicationError(CommonError.NOT_FOUND)


def notify_buyer(*, order: Order, text: texts.Text, ticket: Ticket | None = None, **params) -> None:
    """Record a station message (站内信) and a push to the buyer (ASE-R05); the platform's app delivers them."""
    notification_send(text=text, channels=(Channel.STATION, Channel.PUSH), shop_id=order.shop_id,
                      recipient_id=order.buyer_id, order_id=order.pk, about=ticket, **params)


# Re-opened after-sales entry (ASE-E01..E06, ASE-R01, R04, R05)


@transaction.atomic
def entry_open(*, order: Order, actor: User) -> AftersalesEntry:
    """Open the order's after-sales entry for `entry_open_days` (ASE-R01), after the merchant confirmed.

    Checks ASE-E01..E06 at every opening (the first failure is the refusal), refuses a second open entry
    (`entry_already_open`; also a partial unique constraint), writes the operation log (ASE-R04), marks the
    buyer's pending request fulfilled and notifies the buyer by station message and push (ASE-R05).
    Locks the order row.
    """
    order = order_lock(order_id=order.pk)
    if not (actor.is_superuser or (actor.is_shop_member and actor.shop_id == order.shop_id)):
        raise ApplicationError(AftersalesError.NOT_SHOP_MEMBER)
    at = now()
    for check in entry_eligibility(order=order, at=at):
        if not check.ok:
            raise ApplicationError(check.error)
    if entry_open_get(order=order, at=at):
        raise ApplicationError(AftersalesError.ENTRY_ALREADY_OPEN)
    # An entry whose closes_at passed but whose clock has not run yet is closed here, in the same order lock;
    # locked, so an entry the clock is closing right now is seen closed and logged once.
    for stale in AftersalesEntry.objects.select_for_update().filter(order=order, status=AftersalesEntry.Status.OPEN):
        _entry_close(entry=stale, at=at)
    entry = AftersalesEntry.objects.create(
        order=order, opened_by=actor, opened_at=at,
        closes_at=at + dt.timedelta(days=order.shop.profile.entry_open_days),
    )
    request = entry_pending_request_get(order=order)
    opened = {"closes_at": entry.closes_at.isoformat(), "request": request.pk if request else None}
    if request:
        # The opening fulfils the buyer's request: one operation-log entry says both (ASE-R04).
        request.fulfilled_at = at
        transition(request, EntryRequest.Status.FULFILLED, actor=actor, at=at, event=AftersalesOrderEventType.ENTRY_OPENED,
                   fields=("fulfilled_at",), **opened)
    else:
        order_event_add(order_id=order.pk, type=AftersalesOrderEventType.ENTRY_OPENED, actor=actor, at=at, **opened)
    notify_buyer(order=order, text=texts.ENTRY_OPENED, order_no=order.order_no,
                 days=order.shop.profile.entry_open_days)
    return entry


def _entry_close(*, entry: AftersalesEntry, at) -> None:
    entry.closed_at = at
    transition(entry, AftersalesEntry.Status.CLOSED, actor=None, at=at, event=AftersalesOrderEventType.ENTRY_CLOSED,
               fields=("closed_at",), entry=entry.pk, opened_at=entry.opened_at.isoformat())


@transaction.atomic
def entry_request(*, order: Order, buyer: User) -> EntryRequest:
    """The buyer asks for the entry to be opened again after it closed (ASE-R01); the request shows on the
    order (operation log). A second ask while one is pending returns the pending one. Locks the order."""
    order = order_lock(order_id=order.pk)
    if order.buyer_id != buyer.pk:
        raise ApplicationError(CommonError.NOT_FOUND)
    at = now()
    if entry_open_get(order=order, at=at):
        raise ApplicationError(AftersalesError.ENTRY_ALREADY_OPEN)
    if not AftersalesEntry.objects.filter(order=order).exists():
        raise ApplicationError(AftersalesError.ENTRY_NOT_CLOSED)
    pending = entry_pending_request_get(order=order)
    if pending:
        return pending
    request = EntryRequest.objects.create(order=order, buyer=buyer, created_at=at)
    order_event_add(order_id=order.pk, type=AftersalesOrderEventType.ENTRY_REQUESTED, actor=buyer, at=at, request=request.pk)
    inbox_send(texts.ENTRY_REQUEST_CREATED, shop_id=order.shop_id, to=(Role.MAIN,), order_id=order.pk, about=request,
               order_no=order.order_no)  # NTF-05
    return request


def entry_close_due(*, batch: int = 1000) -> int:
    """The 5-day clock (ASE-R01): close every open entry whose closes_at is reached, in batches of rows
    locked with SKIP LOCKED (two runs at once close each entry once), one bulk log insert per batch."""
    moved = 0
    while True:
        with transaction.atomic():
            at = now()
            due = list(AftersalesEntry.objects.select_for_update(skip_locked=True)
                       .filter(status=AftersalesEntry.Status.OPEN, closes_at__lte=at)
                       .order_by("closes_at", "id").values_list("id", "order_id", "opened_at")[:batch])
            if not due:
                return moved
            AftersalesEntry.objects.filter(pk__in=[d[0] for d in due]).update(
                status=AftersalesEntry.Status.CLOSED, closed_at=at)
            OrderEvent.objects.bulk_create([
                OrderEvent(order_id=order_id, type=AftersalesOrderEventType.ENTRY_CLOSED, at=at,
                           params={"entry": pk, "opened_at": opened_at.isoformat()})
                for pk, order_id, opened_at in due
            ])
            moved += len(due)
        if len(due) < batch:
            return moved


# Tickets: buyers apply (ASE-R02, RS-01, RS-02, RS-10)

REFUND_TYPES = frozenset({TicketType.REFUND_ONLY, TicketType.RETURN_REFUND})
SHIPPING_TYPES = frozenset({TicketType.RESHIP, TicketType.EXCHANGE})
SHIPPED_ORDER_STATUSES = frozenset({Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED, Order.Status.COMPLETED})


def _refundable(order: Order) -> Decimal:
    refunded = order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return order.paid_amount - refunded


def reship_available(*, order: Order, at=None) -> bool:
    """RS-01: after shipment, up to 15 days after receipt, in a category where reship is rolled out."""
    at = at or now()
    if order.status not in SHIPPED_ORDER_STATUSES or not order.category.reship_enabled:
        return False
    if order.confirmed_receipt_at is None:
        return True
    return at <= order.confirmed_receipt_at + dt.timedelta(days=order.shop.profile.reship_apply_days_after_receipt)


def _reason_check(type: str, reason: str) -> None:
    """RS-02: a reship's reason is one of the codes; it decides the flow after a rejection or a missed shipment."""
    if type == TicketType.RESHIP and reason not in ReshipReason.values:
        raise ApplicationError(CommonError.INVALID,
                               extra={"fields": {"reason": [f"one of {', '.join(ReshipReason.values)} (RS-02)"]}})


@transaction.atomic
def ticket_create(*, order: Order, buyer: User, type: str, reason: str, amount: Decimal | None = None) -> Ticket:
    """A buyer files an after-sales ticket (售后单). Locks the order, so two applications at once count right.

    Within the after-sales period a buyer may apply at most `applications_per_order` (5) times (ASE-R02);
    after it, only through an open re-opened entry: such a ticket is labelled 超期售后, is not counted and not
    limited (ASE-R02, R04) and follows the same flow (ASE-R06). A reship has its own window (RS-01), needs no
    re-opened entry and counts toward the 5 (RS-10); its answer clock starts (RS-03).
    """
    order = order_lock(order_id=order.pk)
    if order.buyer_id != buyer.pk:
        raise ApplicationError(CommonError.NOT_FOUND)
    _reason_check(type, reason)
    at = now()
    profile = order.shop.profile
    if Ticket.objects.filter(order=order).exclude(status__in=FINISHED_STATUSES).exists():
        raise ApplicationError(AftersalesError.TICKET_ALREADY_OPEN)
    if order.refund_state == Order.RefundState.FULL:
        raise ApplicationError(AftersalesError.ORDER_NOT_REFUNDABLE)
    entry = None
    if type == TicketType.RESHIP:
        if not reship_available(order=order, at=at):
            raise ApplicationError(AftersalesError.RESHIP_NOT_AVAILABLE)
    elif aftersales_period_over(order, at):
        entry = entry_open_get(order=order, at=at)
        if entry is None:
            raise ApplicationError(AftersalesError.PERIOD_OVER)
    if order.status == Order.Status.CLOSED or (
            type in (TicketType.RETURN_REFUND, TicketType.EXCHANGE) and order.status not in SHIPPED_ORDER_STATUSES):
        raise ApplicationError(AftersalesError.ORDER_STATUS_NOT_ALLOWED)
    if entry is None:
        counted = Ticket.objects.filter(order=order, via_reopened_entry=False).count()
        if counted >= profile.applications_per_order:
            raise ApplicationError(AftersalesError.APPLICATION_LIMIT_REACHED,
                                   params={"limit": profile.applications_per_order})
    if type in REFUND_TYPES:
        refundable = _refundable(order)
        if amount is None or amount <= 0 or money(amount) != amount:
            raise ApplicationError(CommonError.INVALID, extra={"fields": {"amount": ["a positive amount, two decimals"]}})
        if amount > refundable:
            raise ApplicationError(AftersalesError.AMOUNT_EXCEEDS_REFUNDABLE, params={"refundable": refundable})
    else:
        amount = None
    deadline, action = None, ""
    if type == TicketType.RESHIP:
        deadline, action = at + dt.timedelta(hours=profile.reship_answer_hours), DeadlineAction.AUTO_APPROVE
    ticket = Ticket.objects.create(
        order=order, shop_id=order.shop_id, buyer=buyer, type=type, reason=reason, amount=amount,
        via_reopened_entry=entry is not None, entry=entry, deadline=deadline, deadline_action=action,
        created_at=at, updated_at=at,
    )
    event_add(ticket, type=TicketEventType.CREATED, actor=buyer, at=at, reason=reason, labels=ticket.labels,
              amount=str(amount) if amount is not None else None)
    if entry is not None:
        order_event_add(order_id=order.pk, type=AftersalesOrderEventType.OVERDUE_TICKET_CREATED, actor=buyer, at=at,
                        ticket=ticket.pk, entry=entry.pk)
    # Apps that react to a new ticket listen here (core.hooks): logistics' INT-06 auto-interception, which
    # never fails the creation.
    hooks.fire("ticket_created", ticket=ticket, actor=buyer)
    return ticket


# Merchant decisions (RS-03, RS-04, RS-06, RS-07), each with the optimistic version


@transaction.atomic
def ticket_approve(*, ticket: Ticket, actor: User, version: int | None = None) -> Ticket:
    """The merchant approves (the answer clock's approval is the set-based `ticket_auto_approve_due`, RS-03).

    refund_only → refunded at once through the ledger (ASE-R03 waterfall); return_refund → approved (the buyer
    returns the goods), and a second approval refunds; reship / exchange → awaiting shipment, with the
    48-hour shipment clock for a reship (RS-04).
    """
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_merchant(ticket, actor)
    _check_version(ticket, version)
    event = TicketEventType.APPROVED
    profile = ticket.shop.profile
    if ticket.type == TicketType.REFUND_ONLY or (
            ticket.type == TicketType.RETURN_REFUND and ticket.status == TicketStatus.APPROVED):
        if not transition_allowed(ticket, TicketStatus.REFUNDED):
            raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
        event_add(ticket, type=event, actor=actor)
        return _refund_in_full(ticket=ticket, actor=actor, cause="merchant_approved")
    if ticket.status != TicketStatus.PENDING_MERCHANT:
        raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
    if ticket.type == TicketType.RETURN_REFUND:
        return transition(ticket, TicketStatus.APPROVED, event=event, actor=actor, error=NOT_ACTIONABLE)
    deadline = None
    if ticket.type == TicketType.RESHIP:
        deadline = now() + dt.timedelta(hours=profile.reship_ship_hours)
        ticket.clock_next(deadline, DeadlineAction.SHIP_DEADLINE)
    return transition(ticket, TicketStatus.AWAITING_SHIPMENT, event=event, actor=actor, error=NOT_ACTIONABLE,
                      ship_deadline=deadline.isoformat() if deadline else None)


@transaction.atomic
def ticket_reject(*, ticket: Ticket, actor: User, reason: str, version: int | None = None) -> Ticket:
    """The merchant rejects. A reship for `not_received` goes straight to platform arbitration (RS-06); any
    other ticket opens the buyer's 48-hour window to modify it or ask for intervention, and closes when the
    window passes unused (RS-07). Out of stock: reject with the buyer's agreement (RS-10), said in `reason`."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_merchant(ticket, actor)
    _check_version(ticket, version)
    if ticket.status not in (TicketStatus.PENDING_MERCHANT, TicketStatus.APPROVED):
        raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
    if ticket.type == TicketType.RESHIP and ticket.reason == ReshipReason.NOT_RECEIVED:
        return transition(ticket, TicketStatus.IN_ARBITRATION, event=TicketEventType.REJECTED, actor=actor,
                          error=NOT_ACTIONABLE, reason=reason, then="arbitration")
    until = now() + dt.timedelta(hours=ticket.shop.profile.reship_intervention_hours)
    ticket.intervention_until = until
    ticket.clock_next(until, DeadlineAction.CLOSE_WINDOW)
    return transition(ticket, TicketStatus.REJECTED, event=TicketEventType.REJECTED, actor=actor, error=NOT_ACTIONABLE,
                      fields=("intervention_until",), reason=reason, intervention_until=until.isoformat())


def _tracking_check(*, ticket: Ticket, courier: str, tracking_no: str) -> None:
    """RS-04: a real number of the courier's format, never another order's (nor a parcel's of any order:
    a reship is a new parcel). The unique ShippedTrackingNumber row makes two uploads at once safe."""
    if not tracking_no_valid(courier, tracking_no):
        raise ApplicationError(AftersalesError.TRACKING_NO_INVALID)
    if Parcel.objects.filter(tracking_no=tracking_no).exists():
        raise ApplicationError(AftersalesError.TRACKING_NO_USED)
    try:
        with transaction.atomic():
            ShippedTrackingNumber.objects.create(tracking_no=tracking_no, courier=courier, order_id=ticket.order_id,
                                                 ticket=ticket, created_at=now())
    except IntegrityError:
        owner = ShippedTrackingNumber.objects.filter(tracking_no=tracking_no).values_list("order_id", flat=True).first()
        if owner != ticket.order_id:
            raise ApplicationError(AftersalesError.TRACKING_NO_USED) from None


@transaction.atomic
def ticket_ship(*, ticket: Ticket, actor: User, courier: str, tracking_no: str, version: int | None = None) -> Ticket:
    """The merchant ships a reship (or an exchange) and uploads the tracking number (RS-04). Late shipping is
    allowed until the intervention window closes (RS-07); the penalty was already recorded by the clock."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_merchant(ticket, actor)
    _check_version(ticket, version)
    if ticket.type not in SHIPPING_TYPES or ticket.status != TicketStatus.AWAITING_SHIPMENT:
        raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
    tracking_no = tracking_no.strip().upper()
    _tracking_check(ticket=ticket, courier=courier, tracking_no=tracking_no)
    at = now()
    late = ticket.intervention_until is not None or ticket.penalties.exists()
    ticket.courier, ticket.tracking_no, ticket.shipped_at, ticket.intervention_until = courier, tracking_no, at, None
    return transition(ticket, TicketStatus.SHIPPED, event=TicketEventType.SHIPPED, actor=actor, error=NOT_ACTIONABLE,
                      fields=("courier", "tracking_no", "shipped_at", "intervention_until"),
                      courier=courier, tracking_no=tracking_no, late=late)


# Buyer follow-ups (RS-07, RS-08)


def _window_open(ticket: Ticket) -> bool:
    """RS-07: after a rejection or a missed shipment deadline (missing_items / other), for 48 hours. Once the
    window has passed — also when its sweep already closed the ticket — the answer is
    `intervention_window_closed` (409), not `ticket_not_actionable`."""
    if ticket.status == TicketStatus.CLOSED and ticket.events.filter(
            type=TicketEventType.CLOSED, params__cause="intervention_window_unused").exists():
        raise ApplicationError(AftersalesError.INTERVENTION_WINDOW_CLOSED)
    if ticket.intervention_until is None or ticket.status not in (TicketStatus.REJECTED, TicketStatus.AWAITING_SHIPMENT):
        return False
    if now() >= ticket.intervention_until:
        raise ApplicationError(AftersalesError.INTERVENTION_WINDOW_CLOSED)
    return True


@transaction.atomic
def ticket_withdraw(*, ticket: Ticket, actor: User) -> Ticket:
    """The buyer withdraws the request (RS-08) and may apply again, for another type (ticket_create)."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_buyer(ticket, actor)
    ticket.intervention_until = None
    return transition(ticket, TicketStatus.WITHDRAWN, event=TicketEventType.WITHDRAWN, actor=actor,
                      error=NOT_ACTIONABLE, fields=("intervention_until",))


@transaction.atomic
def ticket_modify(*, ticket: Ticket, actor: User, reason: str | None = None, amount: Decimal | None = None) -> Ticket:
    """The buyer changes the request: while it waits for the merchant, or within the 48-hour window after a
    rejection or a missed shipment (RS-07). It goes back to the merchant, with a new answer clock (RS-03)."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_buyer(ticket, actor)
    if ticket.status != TicketStatus.PENDING_MERCHANT and not _window_open(ticket):
        raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
    if reason is not None:
        _reason_check(ticket.type, reason)
        ticket.reason = reason
    if amount is not None and ticket.type in REFUND_TYPES:
        if amount <= 0 or money(amount) != amount:
            raise ApplicationError(CommonError.INVALID, extra={"fields": {"amount": ["a positive amount, two decimals"]}})
        refundable = _refundable(ticket.order)
        if amount > refundable:
            raise ApplicationError(AftersalesError.AMOUNT_EXCEEDS_REFUNDABLE, params={"refundable": refundable})
        ticket.amount = amount
    deadline, action = ticket.deadline, ticket.deadline_action
    if ticket.status != TicketStatus.PENDING_MERCHANT:
        deadline, action = None, ""
        if ticket.type == TicketType.RESHIP:
            deadline = now() + dt.timedelta(hours=ticket.shop.profile.reship_answer_hours)
            action = DeadlineAction.AUTO_APPROVE
    ticket.intervention_until = None
    ticket.clock_next(deadline, action)
    return transition(ticket, TicketStatus.PENDING_MERCHANT, event=TicketEventType.MODIFIED, actor=actor,
                      error=NOT_ACTIONABLE, fields=("reason", "amount", "intervention_until"),
                      reason=ticket.reason, amount=str(ticket.amount) if ticket.amount is not None else None)


@transaction.atomic
def ticket_intervene(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """The buyer asks for platform intervention within the 48-hour window (RS-07); it joins the platform
    staff's queue (RS-09). The merchant may still ship until staff decide."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    _check_buyer(ticket, actor)
    if not _window_open(ticket):
        raise ApplicationError(AftersalesError.NOT_ACTIONABLE)
    ticket.intervention_until = None
    return transition(ticket, TicketStatus.IN_INTERVENTION, event=TicketEventType.INTERVENTION_REQUESTED, actor=actor,
                      error=NOT_ACTIONABLE, fields=("intervention_until",), note=note)


# Platform staff (RS-09)


@transaction.atomic
def ticket_arbitrate(*, ticket: Ticket, actor: User, outcome: str, note: str = "", remedy: str = "") -> Ticket:
    """Platform staff decide an arbitration (not_received rejected, RS-06) or an intervention (RS-07).

    For the buyer: an arbitration refunds in full; an intervention obliges the merchant to ship within 48 h
    (`remedy` "reship", the default for reship and exchange tickets: RS-04 and RS-05 apply again) or refunds
    (`remedy` "refund", the default for refund tickets). For the merchant: the ticket closes.
    """
    ticket = ticket_lock(ticket_id=ticket.pk)
    if not (actor.is_superuser or actor.is_platform_staff):
        raise ApplicationError(AftersalesError.NOT_SHOP_MEMBER)
    if ticket.status not in ARBITRATION_STATUSES:
        raise ApplicationError(AftersalesError.NOT_IN_ARBITRATION)
    kind = "arbitration" if ticket.status == TicketStatus.IN_ARBITRATION else "intervention"
    if outcome == "merchant":
        return transition(ticket, TicketStatus.CLOSED, event=TicketEventType.ARBITRATED, actor=actor,
                          error=NOT_ACTIONABLE, outcome=outcome, note=note, kind=kind)
    if outcome != "buyer":
        raise ApplicationError(CommonError.INVALID)
    remedy = remedy or ("reship" if kind == "intervention" and ticket.type in SHIPPING_TYPES else "refund")
    if remedy == "reship" and ticket.type in SHIPPING_TYPES and kind == "intervention":
        deadline = now() + dt.timedelta(hours=ticket.shop.profile.reship_ship_hours)
        action = DeadlineAction.SHIP_DEADLINE if ticket.type == TicketType.RESHIP else ""
        if action:
            ticket.clock_next(deadline, action)
        return transition(ticket, TicketStatus.AWAITING_SHIPMENT, event=TicketEventType.ARBITRATED, actor=actor,
                          error=NOT_ACTIONABLE, outcome=outcome, note=note, kind=kind, remedy=remedy)
    failed = ticket.events.filter(type=TicketEventType.REFUND_FAILED).exists() and ticket.status == TicketStatus.IN_ARBITRATION
    event_add(ticket, type=TicketEventType.ARBITRATED, actor=actor, outcome=outcome, note=note, kind=kind,
                     remedy="refund")
    # ASE-R03: after a refund failed on the buyer's account, the platform pays in advance (先行赔付) by another
    # channel; the merchant still bears it through the ledger.
    return _refund_in_full(ticket=ticket, actor=actor, cause="platform_advance_payment" if failed else kind,
                           escalate=False)


def _refund_in_full(*, ticket: Ticket, actor: User | None, cause: str, escalate: bool = True) -> Ticket:
    """Refund the ticket through the ledger (ticket_refund). A ticket without an amount (a reship refunded "in
    full", RS-06, RS-09) gets what is still refundable on the order.

    ASE-R03: when the original-route refund fails because of the buyer's account (the refund route says so:
    `aftersales.adapters`), no money moves: the ticket shows the reason and goes to the platform staff's queue,
    whose decision for the buyer is the platform's advance payment (escalate=False).
    """
    failure = refund_route().original_route_failure(ticket=ticket) if escalate else ""
    if failure:
        return transition(ticket, TicketStatus.IN_ARBITRATION, event=TicketEventType.REFUND_FAILED, actor=None,
                          error=NOT_ACTIONABLE, failure_reason=failure, cause=cause)
    if ticket.amount is None:
        refundable = _refundable(ticket.order)
        if refundable <= 0:
            return transition(ticket, TicketStatus.CLOSED, event=TicketEventType.CLOSED, actor=actor,
                              error=NOT_ACTIONABLE, cause="nothing_refundable")
        ticket.amount = refundable
        ticket.save(update_fields=["amount"])
    return ticket_refund(ticket=ticket, actor=actor, cause=cause)


# Clocks (SPEC §8)


def ticket_ship_deadline_reach(*, ticket_id: int) -> bool:
    """RS-04..RS-07 at the shipment deadline of one ticket: the late-shipment penalty is recorded and the
    buyer's cash coupon charged from the shop (balance, else deposit, RS-05); `not_received` is then refunded
    in full (RS-06); otherwise the buyer's 48-hour window opens and the merchant may still ship late (RS-07).

    Locks order (SKIP LOCKED: a busy order is left for the next run) → ticket → shop account; re-checks the
    state under the lock, and the penalty is unique per missed deadline, so two runs charge once.
    """
    with transaction.atomic():
        order_id = Ticket.objects.filter(pk=ticket_id).values_list("order_id", flat=True).first()
        if order_id is None or not Order.objects.select_for_update(skip_locked=True).filter(pk=order_id).exists():
            return False
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("order", "shop__profile")
                  .get(pk=ticket_id))
        at = now()
        if (ticket.status != TicketStatus.AWAITING_SHIPMENT or ticket.deadline_action != DeadlineAction.SHIP_DEADLINE
                or ticket.deadline is None or ticket.deadline > at):
            return False
        profile = ticket.shop.profile
        missed = ticket.deadline
        coupon = profile.reship_late_coupon
        source = ledger_charge(shop_id=ticket.shop_id, amount=coupon, kind=LedgerEntry.Kind.RESHIP_COUPON,
                               ref_type="ticket", ref_id=ticket.pk, memo="reship_late_coupon")
        ReshipPenalty.objects.create(ticket=ticket, shop_id=ticket.shop_id, ship_deadline=missed, coupon_amount=coupon,
                                     charged_from=source, created_at=at)
        event_add(ticket, type=TicketEventType.SHIPMENT_OVERDUE, ship_deadline=missed.isoformat(),
                         penalty="late_shipment", coupon=str(coupon), charged_from=source)
        notify_buyer(order=ticket.order, ticket=ticket, text=texts.RESHIP_COUPON, coupon=coupon)
        if ticket.reason == ReshipReason.NOT_RECEIVED:
            _refund_in_full(ticket=ticket, actor=None, cause="shipment_deadline")
            return True
        until = missed + dt.timedelta(hours=profile.reship_intervention_hours)
        ticket.intervention_until = until
        ticket.clock_next(until, DeadlineAction.CLOSE_WINDOW)
        transition(ticket, TicketStatus.AWAITING_SHIPMENT, event=TicketEventType.INTERVENTION_WINDOW_OPENED,
                   actor=None, error=NOT_ACTIONABLE, fields=("intervention_until",), until=until.isoformat())
        return True


def ticket_window_close(*, ticket_id: int) -> bool:
    """RS-07: the buyer neither modified the request nor asked for intervention within 48 hours → closed."""
    with transaction.atomic():
        order_id = Ticket.objects.filter(pk=ticket_id).values_list("order_id", flat=True).first()
        if order_id is None or not Order.objects.select_for_update(skip_locked=True).filter(pk=order_id).exists():
            return False
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        if (ticket.deadline_action != DeadlineAction.CLOSE_WINDOW or ticket.deadline is None
                or ticket.deadline > now()
                or ticket.status not in (TicketStatus.REJECTED, TicketStatus.AWAITING_SHIPMENT)):
            return False
        ticket.intervention_until = None
        transition(ticket, TicketStatus.CLOSED, event=TicketEventType.CLOSED, actor=None, error=NOT_ACTIONABLE,
                   fields=("intervention_until",), cause="intervention_window_unused")
        return True


def tickets_due(*, action: str, batch: int = 500) -> list[int]:
    return list(Ticket.objects.filter(deadline_action=action, deadline__lte=now())
                .order_by("deadline", "id").values_list("id", flat=True)[:batch])


AUTO_APPROVE_SQL = """
WITH due AS (
    SELECT t.id FROM aftersales_ticket t
    WHERE t.deadline_action = 'auto_approve' AND t.deadline <= %(now)s AND t.status = 'pending_merchant'
    ORDER BY t.deadline, t.id
    LIMIT %(batch)s
    FOR UPDATE OF t SKIP LOCKED
), moved AS (
    UPDATE aftersales_ticket t
    SET status = 'awaiting_shipment', version = t.version + 1, updated_at = %(now)s,
        deadline = %(now)s + make_interval(hours => p.reship_ship_hours), deadline_action = 'ship_deadline'
    FROM due, accounts_shop s, accounts_platformprofile p
    WHERE t.id = due.id AND s.id = t.shop_id AND p.id = s.profile_id
    RETURNING t.id, t.deadline
)
INSERT INTO aftersales_ticketevent (ticket_id, type, actor_id, at, params)
SELECT id, 'auto_approved', NULL, %(now)s, jsonb_build_object('ship_deadline', deadline) FROM moved
RETURNING ticket_id
"""


def ticket_auto_approve_due(*, batch: int = 5000) -> int:
    """RS-03: reship tickets the merchant did not answer within 48 h are approved automatically and their
    shipment clock starts (RS-04).

    Set-based (a million due rows must sweep in seconds, docs/PERFORMANCE.md): one statement per batch locks the
    due rows with SKIP LOCKED, moves them along pending_merchant → awaiting_shipment (Ticket.TRANSITIONS),
    bumps their version and writes their `auto_approved` timeline rows; each batch commits alone. A merchant's
    decision holds the ticket lock (order → ticket), so the sweep skips that row; the sweep locks no order, so
    the two never wait on each other in a cycle.
    """
    assert TicketStatus.AWAITING_SHIPMENT in Ticket.TRANSITIONS[TicketStatus.PENDING_MERCHANT]
    moved = 0
    while True:
        with transaction.atomic():
            at = now()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(AUTO_APPROVE_SQL, {"now": at, "batch": batch})
                    count = len(cursor.fetchall())
            else:  # the embedded SQLite setup (bin/run): a small ORM batch, same edges and events
                count = 0
                for ticket in (Ticket.objects.filter(deadline_action=DeadlineAction.AUTO_APPROVE, deadline__lte=at,
                                                     status=TicketStatus.PENDING_MERCHANT)
                               .select_related("shop__profile").order_by("deadline", "id")[:batch]):
                    deadline = at + dt.timedelta(hours=ticket.shop.profile.reship_ship_hours)
                    ticket.clock_next(deadline, DeadlineAction.SHIP_DEADLINE)
                    transition(ticket, TicketStatus.AWAITING_SHIPMENT, event=TicketEventType.AUTO_APPROVED, actor=None,
                               at=at, ship_deadline=deadline.isoformat())
                    count += 1
        moved += count
        if count < batch:
            return moved
