"""Reads of after-sales: entry eligibility rule by rule, ticket deadlines, lists and the evidence pack."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core import labels
from core.clock import SHANGHAI, now
from core.errors import ErrorCode
from notifications.selectors import notification_list_about
from orders.models import Order

from .errors import AftersalesError
from .models import AftersalesEntry, DeadlineAction, EntryRequest, Ticket, TicketStatus, TicketType

# ASE-E05: "created after 2020-06-30" — from the first moment of 2020-07-01 in Asia/Shanghai.
ENTRY_EARLIEST_CREATED = dt.datetime(2020, 7, 1, tzinfo=SHANGHAI)
# ASE-E06: education orders (清北网校, 学浪, 好好学习) are goods kind `education`; coupon/card goods `coupon_card`.
UNSUPPORTED_GOODS_KINDS = frozenset({Order.GoodsKind.COUPON_CARD, Order.GoodsKind.EDUCATION})

RULE_TITLES = {
    "ASE-E01": _("past the after-sales period (receipt confirmed + 7 days)"),
    "ASE-E02": _("not fully refunded and no refund in progress"),
    "ASE-E03": _("paid online"),
    "ASE-E04": _("physical goods"),
    "ASE-E05": _("created after 2020-06-30 and within 150 days"),
    "ASE-E06": _("not coupon/card goods nor an education order"),
}


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    ok: bool
    error: ErrorCode

    @property
    def title(self) -> str:
        return str(RULE_TITLES[self.rule])


def aftersales_period_ends(order: Order) -> dt.datetime | None:
    """When the after-sales period ends (receipt confirmed + N days); None before receipt is confirmed."""
    if order.confirmed_receipt_at is None:
        return None
    return order.confirmed_receipt_at + dt.timedelta(days=order.shop.profile.aftersales_period_days)


def aftersales_period_over(order: Order, at: dt.datetime | None = None) -> bool:
    ends = aftersales_period_ends(order)
    return ends is not None and (at or now()) >= ends


def entry_eligibility(*, order: Order, at: dt.datetime | None = None) -> list[RuleCheck]:
    """ASE-E01..E06, each with its verdict, in the order they are reported (the first failure is the refusal)."""
    at = at or now()
    profile = order.shop.profile
    max_age = dt.timedelta(days=profile.entry_max_order_age_days)
    return [
        RuleCheck("ASE-E01", aftersales_period_over(order, at), AftersalesError.PERIOD_NOT_OVER),
        RuleCheck("ASE-E02", order.refund_state not in (Order.RefundState.FULL, Order.RefundState.IN_PROGRESS),
                  AftersalesError.REFUNDED_OR_REFUNDING),
        RuleCheck("ASE-E03", order.payment == Order.Payment.ONLINE, AftersalesError.NOT_PAID_ONLINE),
        RuleCheck("ASE-E04", order.goods_kind != Order.GoodsKind.VIRTUAL, AftersalesError.NOT_PHYSICAL),
        RuleCheck("ASE-E05", order.created_at >= ENTRY_EARLIEST_CREATED and at - order.created_at <= max_age,
                  AftersalesError.OUTSIDE_ENTRY_WINDOW),
        RuleCheck("ASE-E06", order.goods_kind not in UNSUPPORTED_GOODS_KINDS, AftersalesError.CATEGORY_NOT_SUPPORTED),
    ]


def entry_open_get(*, order: Order, at: dt.datetime | None = None) -> AftersalesEntry | None:
    """The order's entry that is open now (its clock may not have run yet: closes_at decides)."""
    return (AftersalesEntry.objects.filter(order=order, status=AftersalesEntry.Status.OPEN, closes_at__gt=at or now())
            .order_by("-opened_at").first())


def entry_pending_request_get(*, order: Order) -> EntryRequest | None:
    return EntryRequest.objects.filter(order=order, status=EntryRequest.Status.PENDING).first()


DEADLINE_VERBS = {
    DeadlineAction.AUTO_APPROVE: _("approved automatically"),
    DeadlineAction.SHIP_DEADLINE: _("shipment due"),
    DeadlineAction.CLOSE_WINDOW: _("closes automatically"),
}


def ticket_deadline(ticket: Ticket) -> dict | None:
    """`deadline` of the API: when the next clock acts on the ticket and what it will do."""
    if ticket.deadline is None or not ticket.deadline_action:
        return None
    action = ticket.deadline_action
    if action == DeadlineAction.SHIP_DEADLINE and ticket.reason == "not_received":
        then = "refund"  # RS-06
    elif action == DeadlineAction.SHIP_DEADLINE:
        then = "penalty_and_intervention_window"  # RS-05, RS-07
    else:
        then = action
    return {"at": ticket.deadline, "action": action, "then": then}


def ticket_countdown(ticket: Ticket, at: dt.datetime | None = None) -> str:
    """"自动同意 3 小时后" — the workbench's countdown to the ticket's next clock."""
    if ticket.deadline is None or not ticket.deadline_action:
        return ""
    verb = DEADLINE_VERBS.get(ticket.deadline_action, ticket.deadline_action)
    left = ticket.deadline - (at or now())
    if left <= dt.timedelta(0):
        return str(_("%(verb)s: due now") % {"verb": verb})
    hours, rem = divmod(int(left.total_seconds()), 3600)
    if hours >= 1:
        return str(_("%(verb)s in %(n)d hours") % {"verb": verb, "n": hours})
    return str(_("%(verb)s in %(n)d minutes") % {"verb": verb, "n": max(1, rem // 60)})


QUICK_FILTERS = {
    # 「换货&补寄待处理」: exchange and reship tickets waiting for the merchant's answer or shipment.
    "exchange_reship_pending": Q(type__in=[TicketType.EXCHANGE, TicketType.RESHIP],
                                 status__in=[TicketStatus.PENDING_MERCHANT, TicketStatus.AWAITING_SHIPMENT]),
}

LABEL_FILTERS = {"overdue_aftersales": Q(via_reopened_entry=True)}

ARBITRATION_STATUSES = (TicketStatus.IN_ARBITRATION, TicketStatus.IN_INTERVENTION)


def ticket_list(*, qs: QuerySet, type: str = "", status: str = "", quick: str = "", label: str = "") -> QuerySet:
    if type:
        qs = qs.filter(type=type)
    if status:
        qs = qs.filter(status=status)
    if quick:
        qs = qs.filter(QUICK_FILTERS[quick])
    if label:
        qs = qs.filter(LABEL_FILTERS[label])
    return qs


def ticket_evidence_pack(*, ticket: Ticket) -> dict:
    """Everything an arbitrator or an auditor needs about one ticket: the order, the timeline, the tracking,
    the penalties and the notifications sent to the buyer, as JSON-ready data."""
    order = ticket.order
    return {
        "ticket": {
            "id": ticket.pk, "order_no": order.order_no, "shop": ticket.shop.key, "buyer": ticket.buyer.username,
            "type": ticket.type, "reason": ticket.reason, "status": ticket.status,
            "amount": str(ticket.amount) if ticket.amount is not None else None, "labels": ticket.labels,
            "version": ticket.version, "created_at": ticket.created_at.isoformat(),
            "deadline": _jsonable(ticket_deadline(ticket)),
            "intervention_until": _iso(ticket.intervention_until),
        },
        "order": {
            "order_no": order.order_no, "status": order.status, "paid_amount": str(order.paid_amount),
            "created_at": order.created_at.isoformat(), "confirmed_receipt_at": _iso(order.confirmed_receipt_at),
            "refund_state": order.refund_state,
            "parcels": [{"courier": p.courier, "tracking_no": p.tracking_no, "status": p.status}
                        for p in order.parcels.all()],
        },
        "tracking": {"courier": ticket.courier, "tracking_no": ticket.tracking_no, "shipped_at": _iso(ticket.shipped_at)},
        "timeline": [{"type": e.type, "label": labels.event_label("ticket", e.type),
                      "actor": e.actor.username if e.actor else None, "at": e.at.isoformat(),
                      "params": e.params} for e in ticket.events.select_related("actor").order_by("at", "id")],
        "penalties": [{"ship_deadline": p.ship_deadline.isoformat(), "coupon_amount": str(p.coupon_amount),
                       "charged_from": p.charged_from, "at": p.created_at.isoformat()} for p in ticket.penalties.all()],
        "notifications": [{"channel": n.channel, "kind": n.kind, "title": n.title, "body": n.body,
                           "at": n.created_at.isoformat()} for n in notification_list_about(about=ticket)],
        "generated_at": now().isoformat(),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _jsonable(deadline: dict | None) -> dict | None:
    return None if deadline is None else {**deadline, "at": deadline["at"].isoformat()}
