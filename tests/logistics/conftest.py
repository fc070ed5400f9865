import pytest
from django.core.management import call_command

from accounts.models import LedgerEntry, User
from aftersales.models import Ticket, TicketStatus, TicketType
from orders.models import Order


@pytest.fixture
def make_ticket(demo):
    """A refund-only ticket awaiting the merchant on a demo order."""

    def make(order_no: str, **kwargs) -> Ticket:
        order = Order.objects.get(order_no=order_no)
        values = {"type": TicketType.REFUND_ONLY, "status": TicketStatus.PENDING_MERCHANT, "reason": "不想要了"}
        values.update(kwargs)
        from django.utils import timezone

        at = values.pop("created_at", timezone.now())
        return Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, created_at=at, updated_at=at,
                                     **values)

    return make


@pytest.fixture
def user():
    return lambda username: User.objects.get(username=username)


@pytest.fixture
def run_clocks():
    def run() -> None:
        call_command("run_clocks", verbosity=0)

    return run


@pytest.fixture
def fees():
    def entries(shop_key: str = "dy"):
        return list(LedgerEntry.objects.filter(shop__key=shop_key, ref_type="interception"))

    return entries
