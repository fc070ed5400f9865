"""One order as a chat sidebar shows it (API.md "Chat tools"): the order, its payout panel, payouts, tickets,
interceptions, the re-opened after-sales entry, and whether the caller may do each action now.

Every verdict comes from the selector the action's service uses (payouts.selectors.payout_check and
eligibility_problems, aftersales.selectors.entry_eligibility and entry_open_get, logistics.selectors
.interception_offer): nothing here restates a rule. The number of queries does not grow with the order's
history: each kind of row is read once, with its relations prefetched.
"""

from django.db.models import Prefetch

from aftersales.errors import AftersalesError
from aftersales.models import AftersalesEntry, Ticket, TicketEvent
from aftersales.selectors import entry_eligibility, entry_open_get
from core.clock import now
from core.errors import ApplicationError, ErrorCode
from logistics.models import Interception, InterceptionEvent
from logistics.selectors import interception_list, interception_offer
from orders.models import Order, Parcel
from payouts.api.serializers import with_output_relations
from payouts.channels import payout_channel_refusal
from payouts.errors import PayoutError
from payouts.models import PayMethod, Payout
from payouts.selectors import eligibility_problems, payout_check, payout_panel, payouts_may_pay

ACTIONS = ("payout", "payout_scan", "payout_request", "open_aftersales_entry", "intercept")


def context_order(*, qs) -> Order:
    """The order with what every part of the context reads from it (one query per relation)."""
    return qs.select_related("shop__profile", "buyer", "category").prefetch_related(
        "items", Prefetch("parcels", queryset=Parcel.objects.select_related("outlet").order_by("pk")),
        "platform_shipping_refunds",
    )


def _allowed(**extra) -> dict:
    return {"allowed": True, **extra}


def _refused(error: ApplicationError | ErrorCode) -> dict:
    exc = error if isinstance(error, ApplicationError) else ApplicationError(error)
    body = {"allowed": False, **exc.as_dict()}
    return body


def _payout_action(*, order: Order, actor, pay_method: str, sums, account, quota, blocked: list[str]) -> dict:
    """PAY-L08, PAY-Q01 and every order and shop rule of payout_check, for a payout of any amount now; by
    balance, also the reasons the panel gives why the balance cannot be used (PAY-Q04, `blocked`)."""
    if pay_method == PayMethod.SCAN and not order.shop.profile.scan_to_pay_enabled:
        return _refused(PayoutError.SCAN_NOT_SUPPORTED)
    if not payouts_may_pay(user=actor):
        return _refused(PayoutError.NO_PAYOUT_PERMISSION)
    check = payout_check(order=order, profile=order.shop.profile, actor=actor, amount=None, pay_method=pay_method,
                         sums=sums, account=account, quota=quota)
    error = check.first_error()
    if error is None and pay_method == PayMethod.BALANCE and blocked:
        error = ApplicationError(PayoutError.BALANCE_PAYMENT_NOT_ALLOWED, extra={"reasons": blocked})
    return _refused(error) if error else _allowed()


def _entry_state(*, order: Order, at) -> tuple[dict, dict, AftersalesEntry | None]:
    """`aftersales_entry` and the `open_aftersales_entry` action (ASE-E01..E06, ASE-R01)."""
    checks = entry_eligibility(order=order, at=at)
    failing = next((c for c in checks if not c.ok), None)
    entry = entry_open_get(order=order, at=at)
    if entry is not None:
        return ({"state": "open", "opened_at": entry.opened_at, "closes_at": entry.closes_at},
                _refused(AftersalesError.ENTRY_ALREADY_OPEN), entry)
    if failing is not None and failing.error is AftersalesError.PERIOD_NOT_OVER:
        return {"state": "not_needed", "opened_at": None, "closes_at": None}, _refused(failing.error), None
    if failing is not None:
        return {"state": "not_allowed", "opened_at": None, "closes_at": None}, _refused(failing.error), None
    return {"state": "closed", "opened_at": None, "closes_at": None}, _allowed(), None


def order_context(*, order: Order, actor, auth=None) -> dict:
    """Everything `orders/{order_no}/context/` answers. `order` comes from `context_order` (scoped); `auth` is
    the caller's token (its channel: PAY-E10), None for a signed-in session."""
    at = now()
    profile = order.shop.profile
    panel = payout_panel(order=order, actor=actor)
    inputs = panel.pop("inputs")  # the same figures the panel judged by (one read of each)
    sums, account, quota = inputs["sums"], inputs["account"], inputs["quota"]
    payouts = list(with_output_relations(Payout.objects.filter(order=order)).order_by("-created_at", "-id"))
    tickets = list(Ticket.objects.filter(order=order).select_related("order", "shop", "buyer")
                   .prefetch_related(Prefetch("events", queryset=TicketEvent.objects.select_related("actor")))
                   .order_by("-created_at", "-id"))
    interceptions = list(interception_list(qs=Interception.objects.filter(ticket__order=order))
                         .prefetch_related(Prefetch("events", queryset=InterceptionEvent.objects.select_related("actor")))
                         .order_by("-created_at", "-id"))
    entry, entry_action, _open = _entry_state(order=order, at=at)

    actions = {
        "payout": _payout_action(order=order, actor=actor, pay_method=PayMethod.BALANCE, sums=sums, account=account,
                                 quota=quota, blocked=panel["balance_blocked_reasons"]),
        "payout_scan": _payout_action(order=order, actor=actor, pay_method=PayMethod.SCAN, sums=sums,
                                      account=account, quota=quota, blocked=[]),
    }
    channel_refusal = payout_channel_refusal(user=actor, auth=auth)
    if channel_refusal is not None:  # PAY-E10: not from this token's channel
        for name in ("payout", "payout_scan"):
            if actions[name]["allowed"]:
                actions[name] = _refused(channel_refusal)
    # PAY-A01: a request is checked on the order's eligibility now, every rule again at approval.
    problems = eligibility_problems(order=order, shop=order.shop, profile=profile)
    actions["payout_request"] = _refused(problems[0]) if problems else _allowed()
    actions["open_aftersales_entry"] = entry_action
    ticket, parcels, refusal = interception_offer(tickets=tickets, parcels=list(order.parcels.all()),
                                                  interceptions=interceptions)
    actions["intercept"] = _refused(refusal) if refusal else _allowed(ticket=ticket.pk, parcels=parcels)
    return {
        "order": order, "payout_panel": panel, "payouts": payouts, "tickets": tickets,
        "interceptions": interceptions, "aftersales_entry": entry, "actions": actions,
    }
