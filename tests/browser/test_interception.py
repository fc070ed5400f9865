"""One parcel interception through the admin in a real browser (INT-07): the ticket's interception page
shows parcel, goods and fee; the merchant picks the parcel and intercepts online; the courier's result
shows on the page after the clocks run; the fee was charged once and the ticket refunded."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from aftersales.models import Ticket, TicketType
from logistics.models import Interception
from orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_int_07_merchant_intercepts_one_parcel_online_in_the_admin(demo, live_server, page, screenshot):
    order = Order.objects.get(order_no="DY1027")
    now = timezone.now()
    ticket = Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, type=TicketType.REFUND_ONLY,
                                   reason="不想要了", created_at=now, updated_at=now)
    login(page, live_server, "dy_cs1")
    page.goto(live_server.url + reverse("admin:logistics_intercept", args=[ticket.pk]))
    page.wait_for_selector("[data-testid=intercept-page]")
    text = page.inner_text("#content-main")
    assert "YT7310000012507" in text and "YT7310000013644" in text and "智能摄像头" in text and "3.00" in text
    page.check("#parcel-YT7310000012507")
    page.check("input[name=mode][value=online]")
    with page.expect_navigation():
        page.click("#intercept-submit")
    assert "已对 1 个包裹发起拦截" in page.inner_text("body")
    assert "已发起" in page.inner_text("[data-result=YT7310000012507]")

    call_command("run_clocks")
    page.reload()
    result = page.inner_text("[data-result=YT7310000012507]")
    assert "拦截成功" in result and "3.00" in result
    screenshot("interception-result-zh")
    assert list(Interception.objects.values_list("tracking_no", flat=True)) == ["YT7310000012507"]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "refunded"
    assert ledger_drifts() == []
