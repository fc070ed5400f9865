"""批量发货 from a CSV file (issue 11, RS-04): each row checked by ticket_ship, a row-by-row result, a refused row
changes nothing, a double submit ships nothing twice."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aftersales.models import Ticket, TicketStatus
from aftersales.services import ticket_approve, ticket_create
from orders.models import Order
from tests.aftersales.helpers import NOW, order, user

pytestmark = pytest.mark.django_db
URL = "admin:aftersales_ship_csv"


def approved_reship(order_no: str, buyer: str) -> Ticket:
    ticket = ticket_create(order=order(order_no), buyer=user(buyer), type="reship", reason="missing_items")
    return ticket_approve(ticket=ticket, actor=user("dy_admin"))


def upload(client, text: str):
    page = client.post(reverse(URL), {"file": SimpleUploadedFile("ship.csv", text.encode("utf-8"))})
    assert page.status_code == 200 and page.context["step"] == "confirm"
    return page


def test_rs04_ship_csv_ships_the_valid_rows_and_lists_each_result(demo, clock, client):
    Order.objects.filter(order_no="DY1017").update(confirmed_receipt_at=NOW - dt.timedelta(days=10))
    first, second = approved_reship("DY1022", "buyer_ok"), approved_reship("DY1017", "buyer_ok2")
    client.force_login(user("dy_cs1"))
    assert reverse(URL) in client.get(reverse("admin:aftersales_ticket_changelist")).content.decode()
    text = ("订单号,快递公司,运单号\n"
            "DY1022,yto,YT8800000000001\n"
            "DY1017,圆通速递,bad\n"            # RS-04: the tracking number's format
            "DY1002,yto,YT8800000000002\n")   # no reship awaiting shipment
    page = upload(client, text)
    assert page.context["ready"] == 2
    assert Ticket.objects.get(pk=first.pk).status == TicketStatus.AWAITING_SHIPMENT  # nothing before the confirm
    confirm = {"csv_text": page.context["csv_text"], "token": page.context["token"]}
    result = client.post(reverse(URL), confirm)
    assert (result.context["done"], result.context["refused"]) == (1, 2)
    assert Ticket.objects.get(pk=first.pk).status == TicketStatus.SHIPPED
    left = Ticket.objects.get(pk=second.pk)
    assert (left.status, left.tracking_no) == (TicketStatus.AWAITING_SHIPMENT, "")  # the refused row: untouched
    again = client.post(reverse(URL), confirm)  # a double submit
    assert again.context["done"] == 1 and Ticket.objects.get(pk=first.pk).events.filter(type="shipped").count() == 1


def test_rs04_ship_csv_is_for_shop_people_only(demo, client):
    client.force_login(user("ops1"))
    assert client.get(reverse(URL)).status_code == 403
