"""Every write of parcel interception (SPEC §7). Lock order: order → ticket → interception → shop account.

Courier calls (submit, poll) happen outside transactions; their results are applied under the locks
with a status re-check, so a result applied twice (sweep + task, two sweeps) changes nothing twice.
"""

import datetime as dt
import logging
from decimal import Decimal

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from accounts.models import LedgerEntry, Role, Shop, User
from accounts.services import ledger_charge
from aftersales.models import Ticket, TicketType
from aftersales.services import ticket_lock, ticket_refund, ticket_refund_allowed
from core.clock import now
from core.errors import ApplicationError, CommonError
from core.money import ZERO, money
from core.transitions import event_add, transition
from orders.couriers import COURIERS
from orders.events import order_event_add
from orders.models import OrderItem, Outlet, Parcel

from .adapters import InterceptionResult, adapter_for
from .errors import LogisticsError
from .models import (
    OPEN_CONTRACT_STATUSES,
    PENDING_STATUSES,
    AutoInterceptRule,
    Claim,
    ClaimEvent,
    ClaimEventType,
    ClaimStatus,
    ContractEvent,
    ContractEventType,
    ContractStatus,
    Interception,
    InterceptionContract,
    InterceptionEvent,
    InterceptionEventType,
    InterceptionStatus,
    OrderInterceptionEventType,
    ReturnOutcome,
    Settlement,
    TicketInterceptionEventType,
)
from .selectors import ticket_offers_interception

logger = logging.getLogger(__name__)

# How long a sweep holds a row it is asking the courier about before another run may take it again.
LEASE = dt.timedelta(minutes=2)
# When the courier has not answered yet, ask again after this long.
POLL_AGAIN_AFTER = dt.timedelta(minutes=10)
RETURN_POLL_AGAIN_AFTER = dt.timedelta(days=1)


def _require_main_account(actor: User, shop: Shop) -> None:
    if actor.is_superuser:
        return
    if not (actor.role == Role.MAIN and actor.shop_id == shop.pk):
        raise ApplicationError(LogisticsError.MAIN_ACCOUNT_ONLY)


def _require_shop_member(actor: User, shop_id: int) -> None:
    if actor.is_superuser:
        return
    if not (actor.is_shop_member and actor.shop_id == shop_id):
        raise ApplicationError(CommonError.NOT_FOUND)


def _require_platform(actor: User) -> None:
    if not (actor.is_superuser or actor.is_platform_staff):
        raise ApplicationError(CommonError.PERMISSION_DENIED)


# --- Contracts (INT-03..05) ------------------------------------------------------------------------


@transaction.atomic
def contract_open(*, shop: Shop, courier: str, outlets: list[Outlet], agreed_price: Decimal,
                  actor: User) -> list[InterceptionContract]:
    """Open offline-settlement interception with chosen outlets of one courier (INT-03): one contract
    per outlet at the agreed price. YTO contracts are active at once; J&T (and couriers added later)
    wait for the outlet's review (INT-04). Outlets without Douyin e-waybill cannot be contracted
    (INT-05). All or nothing: one refused outlet opens none. Main account only.

    A partial unique index (one open contract per shop and outlet) stops two concurrent opens."""
    _require_main_account(actor, shop)
    entry = COURIERS.get(courier)
    if entry is None or not outlets or any(o.courier != courier for o in outlets):
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"outlets": ["outlets of the chosen courier"]}})
    agreed_price = money(agreed_price)
    if agreed_price < 0:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"agreed_price": ["not negative"]}})
    outlets = sorted({o.pk: o for o in outlets}.values(), key=lambda o: o.code)
    for outlet in outlets:
        if not outlet.e_waybill:
            raise ApplicationError(LogisticsError.OUTLET_WITHOUT_E_WAYBILL, params={"outlet": outlet.code},
                                   extra={"outlet": outlet.code})
    status = ContractStatus.PENDING_REVIEW if entry.contract_needs_review else ContractStatus.ACTIVE
    at = now()
    contracts = []
    for outlet in outlets:
        exists = InterceptionContract.objects.filter(shop=shop, outlet=outlet, status__in=OPEN_CONTRACT_STATUSES)
        if exists.exists():
            raise ApplicationError(LogisticsError.CONTRACT_EXISTS, params={"outlet": outlet.code},
                                   extra={"outlet": outlet.code})
        try:
            with transaction.atomic():
                contract = InterceptionContract.objects.create(
                    shop=shop, outlet=outlet, courier=courier, agreed_price=agreed_price, status=status,
                    requested_by=actor, created_at=at,
                )
        except IntegrityError:
            raise ApplicationError(LogisticsError.CONTRACT_EXISTS, params={"outlet": outlet.code},
                                   extra={"outlet": outlet.code}) from None
        ContractEvent.objects.create(contract=contract, type=ContractEventType.CREATED, actor=actor, at=at,
                                     params={"agreed_price": str(agreed_price), "status": status})
        contracts.append(contract)
    return contracts


def _contract_review(*, contract: InterceptionContract, to: str, actor: User, reason: str = "") -> InterceptionContract:
    with transaction.atomic():
        contract = InterceptionContract.objects.select_for_update().get(pk=contract.pk)
        if not (actor.is_superuser or (actor.role == Role.OUTLET and actor.outlet_id == contract.outlet_id)):
            raise ApplicationError(CommonError.NOT_FOUND)
        if contract.status != ContractStatus.PENDING_REVIEW:
            raise ApplicationError(LogisticsError.CONTRACT_NOT_PENDING)
        contract.reviewed_by, contract.reviewed_at, contract.reject_reason = actor, now(), reason
        event = ContractEventType.APPROVED if to == ContractStatus.ACTIVE else ContractEventType.REJECTED
        params = {"reason": reason} if reason else {}
        return transition(contract, to, actor=actor, event=event, fields=("reviewed_by", "reviewed_at", "reject_reason"),
                          **{"from": contract.status}, **params)


def contract_approve(*, contract: InterceptionContract, actor: User) -> InterceptionContract:
    """The outlet approves a contract awaiting review (INT-04): it becomes active."""
    return _contract_review(contract=contract, to=ContractStatus.ACTIVE, actor=actor)


def contract_reject(*, contract: InterceptionContract, reason: str, actor: User) -> InterceptionContract:
    """The outlet rejects a contract awaiting review, with a reason (INT-04). The shop may open again."""
    if not reason.strip():
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"reason": ["required"]}})
    return _contract_review(contract=contract, to=ContractStatus.REJECTED, actor=actor, reason=reason.strip())


def _contract_lock(contract: InterceptionContract, actor: User) -> InterceptionContract:
    contract = InterceptionContract.objects.select_for_update().select_related("shop").get(pk=contract.pk)
    _require_main_account(actor, contract.shop)
    return contract


@transaction.atomic
def contract_end(*, contract: InterceptionContract, actor: User) -> InterceptionContract:
    """INT-10: the main account ends an offline contract (`ended`). New offline interceptions through the
    outlet are refused (`no_active_contract`); running ones finish at the price they were requested at
    (each interception keeps its own `agreed_price`). Recorded in the contract's history."""
    contract = _contract_lock(contract, actor)
    if contract.status not in OPEN_CONTRACT_STATUSES:
        raise ApplicationError(LogisticsError.CONTRACT_NOT_OPEN)
    contract.ended_by, contract.ended_at = actor, now()
    return transition(contract, ContractStatus.ENDED, actor=actor, event=ContractEventType.ENDED,
                      fields=("ended_by", "ended_at"), **{"from": contract.status})


@transaction.atomic
def contract_price_change(*, contract: InterceptionContract, agreed_price: Decimal, actor: User) -> InterceptionContract:
    """INT-10: the main account changes an open contract's agreed price. It applies to interceptions requested
    afterwards; earlier ones keep the price they were requested at. Recorded in the contract's history."""
    contract = _contract_lock(contract, actor)
    if contract.status not in OPEN_CONTRACT_STATUSES:
        raise ApplicationError(LogisticsError.CONTRACT_NOT_OPEN)
    agreed_price = money(agreed_price)
    if agreed_price < 0:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"agreed_price": ["not negative"]}})
    old = contract.agreed_price
    if agreed_price == old:
        return contract
    contract.agreed_price = agreed_price
    contract.version += 1
    contract.save(update_fields=["agreed_price", "version"])
    event_add(contract, type=ContractEventType.PRICE_CHANGED, actor=actor, old_price=str(old),
              agreed_price=str(agreed_price))
    return contract


def contract_active_for(*, shop_id: int, outlet_id: int | None) -> InterceptionContract | None:
    if outlet_id is None:
        return None
    return InterceptionContract.objects.filter(shop_id=shop_id, outlet_id=outlet_id,
                                               status=ContractStatus.ACTIVE).first()


# --- Interceptions (INT-01, 02, 06, 07) ------------------------------------------------------------


def interception_panel(*, ticket: Ticket) -> dict:
    """What the interception page shows (INT-07): parcels (with whether each can be intercepted and the
    offline price where the outlet has an active contract), the goods, the online fee, and the ticket's
    interceptions so far with their results or failure reasons."""
    contracts = {c.outlet_id: c for c in InterceptionContract.objects.filter(shop_id=ticket.shop_id,
                                                                              status=ContractStatus.ACTIVE)}
    active = set(Interception.objects.filter(parcel__order_id=ticket.order_id)
                 .exclude(status=InterceptionStatus.FAILED).values_list("parcel_id", flat=True))
    offered = ticket_offers_interception(ticket=ticket)
    parcels = []
    for parcel in Parcel.objects.filter(order_id=ticket.order_id).select_related("outlet").order_by("pk"):
        contract = contracts.get(parcel.outlet_id)
        parcels.append({
            "id": parcel.pk, "tracking_no": parcel.tracking_no, "courier": parcel.courier,
            "courier_display": parcel.get_courier_display(),
            "outlet": parcel.outlet.code if parcel.outlet else None,
            "outlet_name": parcel.outlet.name if parcel.outlet else "", "status": parcel.status,
            "status_display": parcel.get_status_display(),
            "interceptable": offered and parcel.status == Parcel.Status.IN_TRANSIT and parcel.pk not in active,
            "offline_available": contract is not None,
            "agreed_price": contract.agreed_price if contract else None,
        })
    goods = list(OrderItem.objects.filter(order_id=ticket.order_id).order_by("pk"))
    return {
        "ticket": ticket.pk, "order_no": ticket.order.order_no,
        "available": any(p["interceptable"] for p in parcels),
        "online_fee": money(ticket.shop.profile.interception_fee),
        "parcels": parcels, "goods": goods,
        "interceptions": list(Interception.objects.filter(ticket=ticket).select_related("ticket__order", "outlet",
                                                                                         "requested_by")
                              .prefetch_related("events__actor").order_by("pk")),
    }


@transaction.atomic
def interception_request(*, ticket: Ticket, tracking_nos: list[str], mode: str, actor: User | None,
                         auto: bool = False) -> list[Interception]:
    """Intercept the chosen parcels of a ticket's order, one interception per parcel (INT-07).

    INT-01: only for an unfinished refund-only ticket and parcels still in transit. Online (INT-02):
    the profile's fee is recorded and charged only when the courier reports success. Offline (INT-03):
    nothing is charged; the parcel's outlet needs an active contract, whose agreed price is recorded.
    A parcel with an interception that has not failed answers `interception_already_requested` — a
    double click or two operators at once: the order row lock serialises them and the partial unique
    index `one_active_interception_per_parcel` holds even without it. All or nothing.

    Locks order → ticket → parcels. The courier is asked after commit (task) or by the next sweep."""
    ticket = ticket_lock(ticket_id=ticket.pk)
    if actor is not None:
        _require_shop_member(actor, ticket.shop_id)
    if mode not in Settlement.values:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"mode": ["online or offline"]}})
    wanted = list(dict.fromkeys(tracking_nos))
    if not wanted:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"parcels": ["choose at least one parcel"]}})
    if not ticket_offers_interception(ticket=ticket):
        raise ApplicationError(LogisticsError.INTERCEPTION_NOT_AVAILABLE)
    parcels = {p.tracking_no: p for p in Parcel.objects.select_for_update(of=("self",)).filter(
        order_id=ticket.order_id, tracking_no__in=wanted).select_related("outlet").order_by("pk")}
    active = set(Interception.objects.filter(parcel__in=parcels.values())
                 .exclude(status=InterceptionStatus.FAILED).values_list("parcel_id", flat=True))
    fee = money(ticket.shop.profile.interception_fee)
    plan = []
    for tracking_no in wanted:
        parcel = parcels.get(tracking_no)
        if parcel is None:
            raise ApplicationError(LogisticsError.INTERCEPTION_NOT_AVAILABLE, extra={"tracking_no": tracking_no})
        if parcel.pk in active:
            raise ApplicationError(LogisticsError.INTERCEPTION_ALREADY_REQUESTED, extra={"tracking_no": tracking_no})
        if parcel.status != Parcel.Status.IN_TRANSIT:
            raise ApplicationError(LogisticsError.INTERCEPTION_NOT_AVAILABLE, extra={"tracking_no": tracking_no})
        contract = None
        if mode == Settlement.OFFLINE:
            contract = contract_active_for(shop_id=ticket.shop_id, outlet_id=parcel.outlet_id)
            if contract is None:
                raise ApplicationError(LogisticsError.NO_ACTIVE_CONTRACT, extra={"tracking_no": tracking_no})
        plan.append((parcel, contract))
    at = now()
    created = []
    for parcel, contract in plan:
        try:
            with transaction.atomic():
                interception = Interception.objects.create(
                    shop_id=ticket.shop_id, ticket=ticket, parcel=parcel, tracking_no=parcel.tracking_no,
                    courier=parcel.courier, outlet=parcel.outlet, settlement=mode,
                    platform_fee=fee if mode == Settlement.ONLINE else ZERO,
                    agreed_price=contract.agreed_price if contract else None, contract=contract,
                    auto=auto, requested_by=actor, created_at=at, check_at=at,
                )
        except IntegrityError:
            raise ApplicationError(LogisticsError.INTERCEPTION_ALREADY_REQUESTED,
                                   extra={"tracking_no": parcel.tracking_no}) from None
        InterceptionEvent.objects.create(interception=interception, type=InterceptionEventType.CREATED, actor=actor,
                                         at=at, params={"settlement": mode, "auto": auto})
        event_add(ticket, type=TicketInterceptionEventType.INTERCEPTION_REQUESTED, actor=actor, at=at,
                  tracking_no=parcel.tracking_no, settlement=mode, auto=auto)
        order_event_add(order_id=ticket.order_id, type=OrderInterceptionEventType.INTERCEPTION_REQUESTED, actor=actor,
                        at=at, tracking_no=parcel.tracking_no, settlement=mode, auto=auto)
        created.append(interception)
    ids = [i.pk for i in created]
    transaction.on_commit(lambda: _enqueue_process(ids))
    return created


PROCESS_TASK = "logistics.tasks.process_interception_task"  # by name: tasks import services, never the reverse


def _enqueue_process(ids: list[int]) -> None:
    for pk in ids:
        try:
            current_app.send_task(PROCESS_TASK, args=(pk,))
        except Exception:  # noqa: BLE001 - a broker outage only delays: the sweep asks the courier anyway
            logger.warning("interception %s: task not enqueued; the next sweep handles it", pk, exc_info=True)


def interception_process(*, interception_id: int) -> bool:
    """Ask the courier about one requested or intercepting interception and apply its answer.

    Network calls happen outside transactions; every apply re-checks the status under the row lock."""
    interception = Interception.objects.get(pk=interception_id)
    if interception.status not in PENDING_STATUSES:
        return False
    adapter = adapter_for(interception.courier)
    moved = False
    if interception.status == InterceptionStatus.REQUESTED:
        moved = interception_submitted(interception_id=interception_id,
                                       external_ref=adapter.submit(interception=interception))
        interception.refresh_from_db()
        if interception.status != InterceptionStatus.INTERCEPTING:
            return moved
    result = adapter.poll(interception=interception)
    if result is None:
        Interception.objects.filter(pk=interception_id, status__in=PENDING_STATUSES).update(
            check_at=now() + POLL_AGAIN_AFTER)
        return moved
    return interception_result_apply(interception_id=interception_id, result=result) or moved


@transaction.atomic
def interception_submitted(*, interception_id: int, external_ref: str) -> bool:
    interception = Interception.objects.select_for_update().get(pk=interception_id)
    if interception.status != InterceptionStatus.REQUESTED:
        return False
    interception.external_ref = external_ref
    transition(interception, InterceptionStatus.INTERCEPTING, actor=None, event=InterceptionEventType.SUBMITTED,
               fields=("external_ref",), **{"from": interception.status}, external_ref=external_ref)
    return True


@transaction.atomic
def interception_result_apply(*, interception_id: int, result: InterceptionResult) -> bool:
    """Apply the courier's interception result once (INT-02, INT-07).

    Success: the parcel turns back (`returning`); online, the fee is charged through the ledger
    (balance, else deposit, else platform advance) and passed to the courier; the ticket is refunded
    automatically (`ticket_refund`, once). Failure: nothing is charged; the reason is recorded.
    Locks order → ticket → interception → shop account; a row no longer pending is left unchanged, so
    the fee is charged exactly once whoever reports the result and however often."""
    ticket_id = Interception.objects.values_list("ticket_id", flat=True).get(pk=interception_id)
    ticket = ticket_lock(ticket_id=ticket_id)
    interception = Interception.objects.select_for_update().get(pk=interception_id)
    if interception.status not in PENDING_STATUSES:
        return False
    at = now()
    if not result.succeeded:
        interception.failure_reason = result.failure_reason or "courier_refused"
        interception.check_at, interception.finished_at = None, at
        transition(interception, InterceptionStatus.FAILED, actor=None, event=InterceptionEventType.FAILED, at=at,
                   fields=("failure_reason", "check_at", "finished_at"), **{"from": interception.status},
                   failure_reason=interception.failure_reason)
        event_add(ticket, type=TicketInterceptionEventType.INTERCEPTION_FAILED, at=at,
                  tracking_no=interception.tracking_no, failure_reason=interception.failure_reason)
        order_event_add(order_id=ticket.order_id, type=OrderInterceptionEventType.INTERCEPTION_FAILED, actor=None,
                        at=at, tracking_no=interception.tracking_no, failure_reason=interception.failure_reason)
        return True
    Parcel.objects.filter(pk=interception.parcel_id).update(status=Parcel.Status.RETURNING)
    if interception.settlement == Settlement.ONLINE and interception.platform_fee > 0:
        interception.fee_source = ledger_charge(
            shop_id=interception.shop_id, amount=interception.platform_fee, kind=LedgerEntry.Kind.INTERCEPTION_FEE,
            ref_type="interception", ref_id=interception.pk, memo="interception_fee",
        )
    interception.succeeded_at, interception.check_at = at, None
    # When to ask the courier about the return leg first: the courier's adapter knows its own rhythm.
    interception.return_due_at = adapter_for(interception.courier).return_expected_at(interception=interception)
    transition(interception, InterceptionStatus.SUCCEEDED, actor=None, event=InterceptionEventType.INTERCEPTED, at=at,
               fields=("fee_source", "succeeded_at", "check_at", "return_due_at"), **{"from": interception.status},
               fee=str(interception.platform_fee), fee_source=interception.fee_source)
    event_add(ticket, type=TicketInterceptionEventType.INTERCEPTED, at=at, tracking_no=interception.tracking_no,
              settlement=interception.settlement)
    order_event_add(order_id=ticket.order_id, type=OrderInterceptionEventType.INTERCEPTED, actor=None, at=at,
                    tracking_no=interception.tracking_no, settlement=interception.settlement,
                    fee=str(interception.platform_fee))
    # INT-07: success refunds the buyer — only where the ticket table lets the ticket become refunded (a ticket
    # the merchant rejected meanwhile is not refunded: rejected → refunded is not an edge). Already refunded
    # (a clock or a second parcel first): nothing more.
    if ticket_refund_allowed(ticket):
        ticket_refund(ticket=ticket, actor=None, cause="interception_succeeded")
    elif not ticket.is_finished:
        event_add(ticket, type=TicketInterceptionEventType.INTERCEPTED_NOT_REFUNDED, at=at,
                  tracking_no=interception.tracking_no)
    return True


@transaction.atomic
def interception_return_report(*, interception: Interception, outcome: str, actor: User | None) -> Interception:
    """The end of the return leg (INT-07): `returned`, or `return_failed` (lost or damaged, INT-09).

    Reported by a user of the parcel's outlet, or by the sandbox courier after three days (actor None).
    Moves no money. Locks the interception; a second report answers `interception_not_returning`."""
    if outcome not in ReturnOutcome.values:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"outcome": list(ReturnOutcome.values)}})
    interception = Interception.objects.select_for_update(of=("self",)).select_related("parcel").get(pk=interception.pk)
    if actor is not None and not actor.is_superuser and not (
        actor.role == Role.OUTLET and interception.outlet_id is not None and actor.outlet_id == interception.outlet_id
    ):
        raise ApplicationError(LogisticsError.OUTLET_USER_ONLY)
    if interception.status != InterceptionStatus.SUCCEEDED:
        raise ApplicationError(LogisticsError.RETURN_NOT_PENDING)
    at = now()
    interception.return_outcome, interception.finished_at, interception.return_due_at = outcome, at, None
    returned = outcome == ReturnOutcome.RETURNED
    to = InterceptionStatus.RETURNED if returned else InterceptionStatus.RETURN_FAILED
    parcel_status = Parcel.Status.LOST if outcome == ReturnOutcome.LOST else Parcel.Status.RETURNED
    Parcel.objects.filter(pk=interception.parcel_id).update(status=parcel_status)
    transition(interception, to, actor=actor, at=at,
               event=InterceptionEventType.RETURNED if returned else InterceptionEventType.RETURN_FAILED,
               fields=("return_outcome", "finished_at", "return_due_at"), **{"from": interception.status},
               outcome=outcome)
    order_event_add(order_id=interception.parcel.order_id, actor=actor, at=at,
                    type=(OrderInterceptionEventType.INTERCEPTION_RETURNED if returned
                          else OrderInterceptionEventType.INTERCEPTION_RETURN_FAILED),
                    tracking_no=interception.tracking_no, outcome=outcome)
    return interception


def interception_return_poll(*, interception_id: int) -> bool:
    """Ask the courier whether an intercepted parcel is back (the sandbox: `returned` after 3 days)."""
    interception = Interception.objects.get(pk=interception_id)
    if interception.status != InterceptionStatus.SUCCEEDED:
        return False
    outcome = adapter_for(interception.courier).poll_return(interception=interception)
    if outcome is None:
        Interception.objects.filter(pk=interception_id, status=InterceptionStatus.SUCCEEDED).update(
            return_due_at=now() + RETURN_POLL_AGAIN_AFTER)
        return False
    try:
        interception_return_report(interception=interception, outcome=outcome, actor=None)
    except ApplicationError:
        return False  # the outlet (or another run) reported first
    return True


def courier_callback_apply(*, interception_id: int, event: str, failure_reason: str = "") -> bool:
    """A result the courier pushed (signed callback): `intercepted`, `failed`, or the return leg's end
    (`returned`, `lost`, `damaged`). Idempotent: a callback that arrives twice, late or out of order
    changes nothing it may not (the status checks under the locks); returns whether it moved the row."""
    if event in ("intercepted", "failed"):
        if Interception.objects.filter(pk=interception_id, status=InterceptionStatus.REQUESTED).exists():
            interception_submitted(interception_id=interception_id, external_ref="")
        return interception_result_apply(
            interception_id=interception_id,
            result=InterceptionResult(succeeded=event == "intercepted", failure_reason=failure_reason),
        )
    interception = Interception.objects.get(pk=interception_id)
    try:
        interception_return_report(interception=interception, outcome=event, actor=None)
    except ApplicationError:
        return False
    return True


# --- The after-sales assistant rule 快递拦截自动退 (INT-06) --------------------------------------------


@transaction.atomic
def auto_intercept_rule_set(*, shop: Shop, enabled: bool, actor: User) -> AutoInterceptRule:
    """Turn the shop's auto-intercept rule on or off. Main account only."""
    _require_main_account(actor, shop)
    rule, _ = AutoInterceptRule.objects.select_for_update().get_or_create(shop=shop)
    rule.enabled, rule.updated_by, rule.updated_at = enabled, actor, now()
    rule.save()
    return rule


def auto_intercept_enabled(*, shop_id: int) -> bool:
    return AutoInterceptRule.objects.filter(shop_id=shop_id, enabled=True).exists()


def _auto_mode(shop_id: int, outlet_id: int | None, active_outlets: set[int] | None = None) -> str:
    if active_outlets is not None:
        return Settlement.OFFLINE if outlet_id in active_outlets else Settlement.ONLINE
    return Settlement.OFFLINE if contract_active_for(shop_id=shop_id, outlet_id=outlet_id) else Settlement.ONLINE


def interception_auto_on_ticket_created(*, ticket: Ticket, actor: User | None = None) -> list[Interception]:
    """INT-06: the `ticket_created` hook (core.hooks, registered in LogisticsConfig.ready()), fired by the
    after-sales ticket-creation service for every new ticket. When the shop's
    rule 快递拦截自动退 is on and the ticket is an unfinished refund-only ticket, each parcel of the order
    still in transit is intercepted — offline where the parcel's outlet has an active contract with the
    shop, else online. Success refunds the buyer (interception_result_apply). A parcel the rule cannot
    intercept is skipped and noted on the ticket; it never fails the ticket's creation."""
    if not ticket_offers_interception(ticket=ticket) or not auto_intercept_enabled(shop_id=ticket.shop_id):
        return []
    created: list[Interception] = []
    parcels = Parcel.objects.filter(order_id=ticket.order_id, status=Parcel.Status.IN_TRANSIT).order_by("pk")
    for parcel in parcels:
        mode = _auto_mode(ticket.shop_id, parcel.outlet_id)
        try:
            with transaction.atomic():
                created += interception_request(ticket=ticket, tracking_nos=[parcel.tracking_no], mode=mode,
                                                actor=None, auto=True)
        except ApplicationError as error:
            event_add(ticket, type=TicketInterceptionEventType.AUTO_INTERCEPTION_SKIPPED,
                      tracking_no=parcel.tracking_no, code=error.code)
    return created


def auto_intercept_preview(*, shop: Shop, days: int = 30) -> dict:
    """Dry run of 快递拦截自动退 over the shop's refund-only tickets of the last `days` days: for each
    parcel, what the rule would have done. Parcels keep no status history, so a parcel counts as "would
    intercept" when it is still in transit or was intercepted (it was in transit then); any other
    current status is shown as the reason to skip. Writes nothing."""
    since = now() - dt.timedelta(days=days)
    fee = money(shop.profile.interception_fee)
    active_outlets = set(InterceptionContract.objects.filter(shop=shop, status=ContractStatus.ACTIVE)
                         .values_list("outlet_id", flat=True))
    tickets = (Ticket.objects.filter(shop=shop, type=TicketType.REFUND_ONLY, created_at__gte=since)
               .select_related("order").prefetch_related("order__parcels__outlet", "order__parcels__interceptions")
               .order_by("-created_at", "-id"))
    rows, online, offline = [], 0, 0
    for ticket in tickets:
        for parcel in ticket.order.parcels.all():
            intercepted = any(i.status != InterceptionStatus.FAILED for i in parcel.interceptions.all())
            mode = _auto_mode(shop.pk, parcel.outlet_id, active_outlets)
            would = intercepted or parcel.status == Parcel.Status.IN_TRANSIT
            if would:
                online += mode == Settlement.ONLINE
                offline += mode == Settlement.OFFLINE
            rows.append({
                "ticket": ticket.pk, "order_no": ticket.order.order_no, "ticket_created_at": ticket.created_at,
                "tracking_no": parcel.tracking_no, "courier": parcel.courier,
                "outlet": parcel.outlet.code if parcel.outlet else None, "parcel_status": parcel.status,
                "action": "intercept" if would else "skip", "mode": mode if would else None,
                "platform_fee": (fee if mode == Settlement.ONLINE else ZERO) if would else ZERO,
                "reason": ("already_intercepted" if intercepted else "") if would else f"parcel_{parcel.status}",
            })
    return {"since": since, "days": days, "tickets": len(tickets), "would_intercept_online": online,
            "would_intercept_offline": offline, "online_fees": money(fee * online), "rows": rows}


# --- Claims (INT-09) -------------------------------------------------------------------------------


def goods_value(*, order_id: int) -> Decimal:
    """The order's goods value: the items' price × quantity."""
    total = OrderItem.objects.filter(order_id=order_id).aggregate(v=Sum(F("price") * F("quantity")))["v"]
    return money(total or ZERO)


def claim_limit(*, interception: Interception) -> Decimal:
    return min(money(interception.shop.profile.claim_max_amount), goods_value(order_id=interception.parcel.order_id))


@transaction.atomic
def claim_file(*, interception: Interception, kind: str, amount: Decimal, actor: User,
               description: str = "") -> Claim:
    """File a complaint (投诉) about a return that failed after a successful interception (INT-09):
    from claim_opens_after_hours (7×24) to claim_closes_after_hours (30×24) after the success, for at
    most claim_max_amount (1000.00) and at most the goods' value. One open claim per interception
    (a partial unique index); a rejected claim may be filed again within the window. Moves no money."""
    _require_shop_member(actor, interception.shop_id)
    interception = Interception.objects.select_for_update(of=("self",)).select_related("shop__profile", "parcel").get(
        pk=interception.pk)
    if interception.status != InterceptionStatus.RETURN_FAILED:
        raise ApplicationError(LogisticsError.CLAIM_NOT_AVAILABLE)
    profile, at = interception.shop.profile, now()
    if at < interception.succeeded_at + dt.timedelta(hours=profile.claim_opens_after_hours):
        raise ApplicationError(LogisticsError.CLAIM_WINDOW_NOT_OPEN)
    if at >= interception.succeeded_at + dt.timedelta(hours=profile.claim_closes_after_hours):
        raise ApplicationError(LogisticsError.CLAIM_WINDOW_CLOSED)
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {"amount": ["must be positive"]}})
    limit = claim_limit(interception=interception)
    if amount > limit:
        raise ApplicationError(LogisticsError.CLAIM_AMOUNT_EXCEEDS_LIMIT, params={"limit": limit},
                               extra={"limit": str(limit)})
    if interception.claims.exclude(status=ClaimStatus.REJECTED).exists():
        raise ApplicationError(LogisticsError.CLAIM_ALREADY_FILED)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(shop_id=interception.shop_id, interception=interception, kind=kind,
                                         amount=amount, description=description, filed_by=actor, created_at=at)
    except IntegrityError:
        raise ApplicationError(LogisticsError.CLAIM_ALREADY_FILED) from None
    ClaimEvent.objects.create(claim=claim, type=ClaimEventType.CREATED, actor=actor, at=at,
                              params={"kind": kind, "amount": str(amount)})
    return claim


@transaction.atomic
def claim_decide(*, claim: Claim, outcome: str, compensation: Decimal | None, note: str, actor: User) -> Claim:
    """Platform staff arbitrate a complaint (INT-09): approve with a compensation (positive, at most the
    amount asked, hence at most the limit) or reject. The courier pays offline: no ledger entry."""
    _require_platform(actor)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.FILED:
        raise ApplicationError(LogisticsError.CLAIM_NOT_FILED)
    claim.decided_by, claim.decided_at, claim.decision_note = actor, now(), note
    fields = ("decided_by", "decided_at", "decision_note")
    if outcome == "approve":
        if compensation is None or money(compensation) <= 0 or money(compensation) > claim.amount:
            raise ApplicationError(LogisticsError.COMPENSATION_EXCEEDS_CLAIM)
        claim.compensation = money(compensation)
        return transition(claim, ClaimStatus.APPROVED, actor=actor, event=ClaimEventType.APPROVED,
                          fields=(*fields, "compensation"), **{"from": claim.status},
                          compensation=str(claim.compensation), note=note)
    if outcome == "reject":
        return transition(claim, ClaimStatus.REJECTED, actor=actor, event=ClaimEventType.REJECTED, fields=fields,
                          **{"from": claim.status}, note=note)
    raise ApplicationError(CommonError.INVALID, extra={"fields": {"outcome": ["approve or reject"]}})


@transaction.atomic
def claim_confirm_paid(*, claim: Claim, actor: User) -> Claim:
    """The merchant confirms the courier paid the approved compensation (INT-09): `paid`. No ledger entry."""
    _require_shop_member(actor, claim.shop_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.APPROVED:
        raise ApplicationError(LogisticsError.CLAIM_NOT_APPROVED)
    claim.paid_confirmed_by, claim.paid_at = actor, now()
    return transition(claim, ClaimStatus.PAID, actor=actor, event=ClaimEventType.PAID,
                      fields=("paid_confirmed_by", "paid_at"), **{"from": claim.status})
