"""The reference chat sidebar (/sidebar/) in Chromium at 360 px: it uses only the public REST API with the
operator's token — search by buyer or order, the context, pay with the duplicate warning and the headroom,
a request, the after-sales entry, an interception — each offered only when `actions` allows it, each refusal
in words (chat tools)."""

from decimal import Decimal

import pytest

from accounts.models import User
from aftersales.services import ticket_create
from logistics.models import Interception
from orders.models import Order
from payouts.models import Payout, PayoutRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_sidebar(page, live_server, token: str) -> None:
    page.set_viewport_size({"width": 360, "height": 900})
    page.goto(f"{live_server.url}/sidebar/")
    page.fill("#token", token)
    page.click("#token-form button")
    assert "令牌已保存" in page.inner_text("[data-testid=notice]")


def search(page, q: str) -> None:
    page.fill("#q", q)
    page.click("#search-form button")


def test_chat_sidebar_main_account_searches_pays_and_opens_the_entry(demo, live_server, page, screenshot):
    """Chat tools: the main account finds the buyer's orders, sees the duplicate warning and the headroom,
    pays, and opens the after-sales entry of an order past its period."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_sidebar(page, live_server, "tok-dy_admin")
    search(page, "buyer_ok2")
    page.wait_for_selector("[data-testid=results] li")
    assert all("buyer_ok2" in row for row in page.locator("[data-testid=results] li").all_inner_texts())
    screenshot("sidebar-search-buyer-zh")

    search(page, "DY1022")
    page.wait_for_selector("[data-testid=context]:not([hidden])")
    assert "平台已向买家退运费 ¥8.00" in page.inner_text("[data-testid=duplicate-warning]")  # PAY-F04
    assert "订单剩余打款次数 5" in page.inner_text("[data-testid=headroom]")  # PAY-F05
    assert "不可用" in page.inner_text("[data-testid=intercept]")  # refusal in words (INT-01)
    page.select_option("[data-testid=pay-form] select[name=type]", "shipping_fee")
    page.fill("[data-testid=pay-form] input[name=amount]", "6.00")
    page.fill("[data-testid=pay-form] input[name=reason]", "运费补偿")
    page.fill("[data-testid=pay-form] input[name=buyer_message]", "亲,已为您补偿运费")
    page.click("[data-testid=pay]")
    page.wait_for_selector("[data-testid=notice]:has-text('打款已发起')")
    assert "打款已发起" in page.inner_text("[data-testid=notice]")
    assert "该订单已有 1 笔打款记录" in page.inner_text("[data-testid=duplicate-warning]")
    assert "订单剩余打款次数 4" in page.inner_text("[data-testid=headroom]")
    payout = Payout.objects.get()
    assert (payout.amount, payout.applicant.username, payout.order.order_no) == (Decimal("6.00"), "dy_admin", "DY1022")
    screenshot("sidebar-paid-zh")

    search(page, "DY1018")
    page.wait_for_selector("[data-testid=open-entry]")
    page.click("[data-testid=open-entry]")
    page.wait_for_selector("[data-testid=notice]:has-text('售后入口已打开')")
    assert "已打开" in page.inner_text("[data-testid=entry]")
    assert page.locator("[data-testid=open-entry]").count() == 0
    screenshot("sidebar-entry-opened-zh")
    assert errors == []


def test_chat_sidebar_sub_account_sees_refusals_in_words_sends_a_request_and_intercepts(
        demo, live_server, page, screenshot):
    """Chat tools, PAY-L08: a Douyin sub-account without a quota is refused paying in words and sends a request
    instead; it intercepts a parcel of an open refund-only ticket (INT-01)."""
    order = Order.objects.get(order_no="DY1027")
    ticket_create(order=order, buyer=User.objects.get(username="buyer_ok"), type="refund_only", reason="不想要了",
                  amount=Decimal("10.00"))
    open_sidebar(page, live_server, "tok-dy_cs2")
    search(page, "DY1027")
    page.wait_for_selector("[data-testid=context]:not([hidden])")
    pay = page.inner_text("[data-testid=pay-action]")
    assert "子账号无打款额度" in pay and page.locator("[data-testid=pay]").count() == 0
    page.fill("[data-testid=pay-form] input[name=amount]", "5.00")
    page.fill("[data-testid=pay-form] input[name=reason]", "破损补偿")
    page.fill("[data-testid=pay-form] input[name=buyer_message]", "抱歉")
    page.click("[data-testid=send-request]")
    page.wait_for_selector("[data-testid=notice]:has-text('打款申请')")
    assert PayoutRequest.objects.get().requester.username == "dy_cs2" and not Payout.objects.exists()
    screenshot("sidebar-sub-account-request-zh")

    page.click("[data-testid=intercept-parcels]")
    page.wait_for_selector("[data-testid=notice]:has-text('已发起拦截')")
    assert "已发起拦截 2 个包裹" in page.inner_text("[data-testid=notice]")
    assert Interception.objects.count() == 2
    assert "不可用" in page.inner_text("[data-testid=intercept]")  # already requested, in words
    screenshot("sidebar-intercepted-zh")


def test_chat_sidebar_is_served_with_its_script_from_a_static_file(demo, client):
    """Chat tools: /sidebar/ is a static page (CSP: no inline script)."""
    response = client.get("/sidebar/")
    text = response.content.decode()
    assert response.status_code == 200 and "sidebar.js" in text and "<script>" not in text
    assert "script-src 'self'" in response["Content-Security-Policy"]
