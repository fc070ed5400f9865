"""Every write to after-sales tickets. Lock order: order → ticket → shop account (see accounts.services)."""

from decimal import Decimal

from django.db import transaction

from accounts.models import LedgerEntry, ShopAccount, User
from accounts.services import ledger_post, shop_account_lock
from core.clock import now
from core.money import money
from orders.models import Order, Refund

from .models import Ticket, TicketEvent, TicketStatus


def ticket_lock(*, ticket_id: int) -> Ticket:
    """Lock the ticket's order, then the ticket (the fixed lock order), and return the fresh ticket."""
    order_id = Ticket.objects.values_list("order_id", flat=True).get(pk=ticket_id)
    Order.objects.select_for_update().only("pk").get(pk=order_id)
    return Ticket.objects.select_for_update().select_related("order", "shop").get(pk=ticket_id)


def ticket_event_add(*, ticket: Ticket, type: str, actor: User | None = None, **params) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, type=type, actor=actor, at=now(), params=params)


def _merchant_refund_post(*, ticket: Ticket, amount: Decimal, actor: User | None) -> str:
    """Take a refund from the shop (ASE-R03): the whole amount from the available balance; if that is
    short, the whole amount from the deposit; if the deposit is short too, the platform pays the buyer
    first (先行赔付) and deducts the deposit, which goes negative (the shop's debt). Returns the source."""
    account: ShopAccount = shop_account_lock(shop_id=ticket.shop_id)
    ref = {"ref_type": "ticket", "ref_id": ticket.pk, "actor": actor, "account": account}
    if account.available >= amount:
        ledger_post(shop_id=ticket.shop_id, kind=LedgerEntry.Kind.MERCHANT_REFUND, balance=-amount, **ref)
        return "balance"
    if account.deposit >= amount:
        ledger_post(shop_id=ticket.shop_id, kind=LedgerEntry.Kind.DEPOSIT_DEDUCTION, deposit=-amount, **ref)
        return "deposit"
    ledger_post(shop_id=ticket.shop_id, kind=LedgerEntry.Kind.PLATFORM_ADVANCE, deposit=-amount, **ref)
    return "platform_advance"


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
    order = ticket.order
    amount = money(ticket.amount if ticket.amount is not None else order.paid_amount)
    source = _merchant_refund_post(ticket=ticket, amount=amount, actor=actor)
    at = now()
    Refund.objects.create(order=order, amount=amount, status=Refund.Status.SUCCEEDED, reason=cause, created_at=at)
    refunded = sum((r.amount for r in order.refunds.filter(status=Refund.Status.SUCCEEDED)), Decimal("0"))
    order.refund_state = Order.RefundState.FULL if refunded >= order.paid_amount else Order.RefundState.PARTIAL
    order.save(update_fields=["refund_state"])
    ticket.status = TicketStatus.REFUNDED
    ticket.version += 1
    ticket.deadline, ticket.deadline_action = None, ""
    ticket.updated_at = at
    ticket.save(update_fields=["status", "version", "deadline", "deadline_action", "updated_at"])
    ticket_event_add(ticket=ticket, type="refunded", actor=actor, amount=str(amount), source=source, cause=cause)
    return ticket
