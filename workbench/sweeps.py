"""NTF-04: the clock that tells the main account a reship request will be approved automatically (RS-03)
within 6 hours, once per ticket. Safe twice at once: the unique constraint
`notification_reship_soon_once` keeps the second insert out."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef

from accounts.models import Role, User
from aftersales.models import DeadlineAction, Ticket, TicketStatus
from core.clock import SHANGHAI, now
from core.clocks import sweep
from notifications import texts
from notifications.models import Notification
from notifications.services import inbox_send

WARN_BEFORE = dt.timedelta(hours=6)


@sweep("reship_auto_approve_soon")
def reship_auto_approve_soon(*, batch: int = 500) -> int:
    """Warn the main account of every reship request waiting for the merchant that the clock approves within
    6 h (NTF-04); a ticket already warned is skipped. Returns the tickets warned in this run."""
    at = now()
    ticket_type = ContentType.objects.get_for_model(Ticket)
    warned = Notification.objects.filter(kind=texts.RESHIP_AUTO_APPROVE_SOON.kind, about_type=ticket_type,
                                         about_id=OuterRef("pk"))
    due = (Ticket.objects.filter(status=TicketStatus.PENDING_MERCHANT, deadline_action=DeadlineAction.AUTO_APPROVE,
                                 deadline__gt=at, deadline__lte=at + WARN_BEFORE)
           .exclude(Exists(warned)).select_related("order").order_by("id"))
    moved, last = 0, 0
    while True:
        tickets = list(due.filter(id__gt=last)[:batch])
        if not tickets:
            return moved
        mains: dict[int, list[int]] = {}
        for shop_id, pk in User.objects.filter(shop_id__in={t.shop_id for t in tickets}, role=Role.MAIN,
                                               is_active=True).values_list("shop_id", "pk"):
            mains.setdefault(shop_id, []).append(pk)
        for ticket in tickets:
            sent = inbox_send(texts.RESHIP_AUTO_APPROVE_SOON, shop_id=ticket.shop_id, to=mains.get(ticket.shop_id, ()),
                              order_id=ticket.order_id, about=ticket, once=True, order_no=ticket.order.order_no,
                              at=ticket.deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
            moved += bool(sent)
        last = tickets[-1].pk
