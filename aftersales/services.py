"""Every write to after-sales tickets. Lock order: order → ticket → shop account (see accounts.services)."""

from decimal import Decimal

from django.db import transaction

from accounts.models import LedgerEntry, User
from accounts.services import ledger_charge
from core.clock import now
from core.money import money
from orders.models import Order, Refund

from .models import Ticket, TicketEvent, TicketStatus


def ticket_lock(*, ticket_id: int) -> Ticket:
    """Lock the ticket's order, then the ticket (the fixed lock order), and return the fresh ticket."""
    order_id = Ticket.objects.values_list("order_id", flat=True).get(pk=ticket_id)
    Order.objects.select_for_update().only("pk").get(pk=order_id)
    return Ticket.objects.select_for_update(of=("self",)).select_related("order", "shop").get(pk=ticket_id)


def ticket_event_add(*, ticket: Ticket, type: str, actor: User | None = None, **params) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, type=type, actor=actor, at=now(), params=params)


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
    # ASE-R03: borne by the merchant in full — balance, else deposit, else a platform advance.
    source = ledger_charge(shop_id=ticket.shop_id, amount=amount, kind=LedgerEntry.Kind.MERCHANT_REFUND,
                           ref_type="ticket", ref_id=ticket.pk, actor=actor, memo=cause)
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
