"""The five jobs of issue 11 in a real browser, each clicked from the home page as a person would: a Douyin
payout; a Pinduoduo sub-account's request approved by the customer-service admin; re-opening an old order's
after-sales entry; intercepting the parcel of a refund-only ticket; approving a reship and shipping it. Plus
the lists at 390 px. Screenshots in test-artifacts/ (job-*.png)."""

from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.selectors import ledger_drifts
from aftersales.models import AftersalesEntry, Ticket, TicketStatus, TicketType
from aftersales.services import ticket_create
from orders.models import Order
from payouts.models import Payout
from payouts.services import PayoutInput, payout_create, payout_request_create
from tests.aftersales.helpers import NOW, order, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def at_demo_time():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def home(page, live_server):
    """Signs in and lands on the home page; money-moving buttons ask first: the person says yes."""
    page.on("dialog", lambda dialog: dialog.accept())

    def sign_in(username: str):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "demo1234")
        with page.expect_navigation():
            page.click("input[type=submit]")
        assert page.url.endswith("/admin/")
        return page

    return sign_in


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def menu(page, path: str) -> None:
    """A link of the home page's menu, by the page it opens."""
    click(page, f"#content-main a[href$='{path}'], #nav-sidebar a[href$='{path}']")


def test_job_1_douyin_main_account_pays_a_shipping_fee_and_continues_it(demo, home, live_server, screenshot):
    """PAY-F04, PAY-S01, PAY-S02: the order from the menu, 发起打款, the confirm step names the method and the
    amount; the rail was busy (sandbox `rail_busy` wallet: PAY-S01 leaves the payout pending), so 继续打款 asks
    with the amount and submits it."""
    from accounts.models import User
    from orders.models import Order

    User.objects.filter(pk=Order.objects.get(order_no="DY1022").buyer_id).update(sandbox_wallet="rail_busy")
    page = home("dy_admin")
    menu(page, "/admin/orders/order/")
    page.fill("#searchbar", "DY1022")
    click(page, "#changelist-search input[type=submit]")
    click(page, "#result_list >> text=DY1022")
    click(page, "[data-testid=initiate-payout]")
    page.select_option("#id_type", "shipping_fee")
    page.fill("#id_amount", "6.00")
    page.select_option("#id_product_id", index=1)
    page.fill("#id_reason", "运费补偿")
    page.fill("#id_buyer_message", "亲，已为您补偿运费，请查收")
    click(page, "[data-testid=preview]")
    assert "将使用：货款余额" in page.inner_text("[data-testid=confirm-method]")
    assert "6.00" in page.inner_text("[data-testid=confirm]")
    screenshot("job-1-payout-confirm")
    click(page, "[data-testid=confirm]")
    payout = Payout.objects.get()
    assert payout.status == "pending" and payout.amount == Decimal("6.00")  # the rail refused the first submission
    assert "6.00" in page.inner_text("[data-testid=continue]")
    click(page, "[data-testid=continue]")  # the dialog states the amount; accepted
    payout.refresh_from_db()
    assert payout.status == "processing"
    screenshot("job-1-payout-continued")
    assert ledger_drifts() == []


def test_job_2_pinduoduo_request_approved_by_the_customer_service_admin(demo, home, live_server, screenshot, pay_input):
    """PAY-A01, PAY-A02: a sub-account's request; the customer-service admin approves it from 待处理 (the batch
    action, with its confirmation page listing the amount)."""
    request = payout_request_create(order=Order.objects.get(order_no="PDD2001"), data=pay_input("5.00"),
                                    actor=user("pdd_cs2"))
    page = home("pdd_lead")
    menu(page, "/admin/payouts/payoutrequest/")
    page.check(f"#result_list input[name=_selected_action][value='{request.pk}']")
    page.select_option("select[name=action]", "approve_selected")
    click(page, "#changelist-form button[name=index], #changelist-form .actions button[type=submit]")
    assert "5.00" in page.inner_text("[data-testid=batch-total]")
    screenshot("job-2-approve-confirm")
    click(page, "[data-testid=batch-confirm]")
    assert "成功 1 条" in page.inner_text("[data-testid=batch-summary]")
    screenshot("job-2-approved")
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by.username == "pdd_lead"
    assert Payout.objects.get().applicant.username == "pdd_cs2"


def test_job_3_reopen_an_old_orders_aftersales_entry(demo, at_demo_time, home, live_server, screenshot):
    """ASE-E01..E06, ASE-R01: 超售后期售后入口 from the menu, the order, its rules, the confirmation."""
    page = home("dy_admin")
    menu(page, "/admin/aftersales/aftersalesentry/")
    page.fill("#open-entry-order", "DY1016")
    click(page, "#open-entry-lookup input[type=submit]")
    page.check("#confirm-open")
    click(page, "#open-entry-submit")
    assert page.is_visible("#entry-open")
    screenshot("job-3-entry-open")
    assert AftersalesEntry.objects.filter(order__order_no="DY1016", status="open").count() == 1


def test_job_4_intercept_the_parcel_of_a_refund_only_ticket(demo, home, live_server, screenshot):
    """INT-07: 售后工作台 from the menu, the ticket, 快递拦截, one parcel online; the result after the clocks."""
    order_ = Order.objects.get(order_no="DY1027")
    now = timezone.now()
    ticket = Ticket.objects.create(order=order_, shop=order_.shop, buyer=order_.buyer, type=TicketType.REFUND_ONLY,
                                   reason="不想要了", created_at=now, updated_at=now)
    page = home("dy_cs1")
    menu(page, "/admin/aftersales/ticket/")
    click(page, f"#result_list a[href*='/ticket/{ticket.pk}/change/']")
    click(page, "[data-testid=intercept]")
    page.check("#parcel-YT7310000012507")
    page.check("input[name=mode][value=online]")
    click(page, "#intercept-submit")
    assert "已对 1 个包裹发起拦截" in page.inner_text("body")
    call_command("run_clocks")
    page.reload()
    assert "拦截成功" in page.inner_text("[data-result=YT7310000012507]")
    screenshot("job-4-intercepted")
    assert ledger_drifts() == []


def test_job_5_approve_a_reship_and_ship_it_with_a_tracking_number(demo, at_demo_time, home, live_server, screenshot):
    """RS-03, RS-04: 售后工作台 from the menu, the reship, 同意, then the courier and the tracking number."""
    ticket = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
    page = home("dy_cs1")
    menu(page, "/admin/aftersales/ticket/")
    click(page, f"#result_list a[href*='/ticket/{ticket.pk}/change/']")
    click(page, "[data-testid=approve]")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.AWAITING_SHIPMENT
    page.select_option("#id_courier", "yto")
    page.fill("#id_tracking_no", "YT8800000000001")
    screenshot("job-5-ship-form")
    click(page, "[data-testid=ship]")
    shipped = Ticket.objects.get(pk=ticket.pk)
    assert (shipped.status, shipped.tracking_no) == (TicketStatus.SHIPPED, "YT8800000000001")
    screenshot("job-5-shipped")


@pytest.mark.parametrize("path", ["/admin/orders/order/", "/admin/payouts/payout/", "/admin/aftersales/ticket/"])
def test_lists_at_390_px_keep_each_cell_on_one_line(demo, at_demo_time, home, live_server, screenshot, path,
                                                     pay_input):
    """At a phone's width the lists scroll sideways; no column is squeezed to one character per line."""
    ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
    payout_create(order=order("DY1022"), data=pay_input("5.00"), actor=user("dy_admin"))
    page = home("dy_admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + path)
    heights = page.eval_on_selector_all(
        "#result_list td, #result_list th",
        "cells => cells.map(c => [c.getBoundingClientRect().height, parseFloat(getComputedStyle(c).lineHeight) || 20])")
    assert heights, "the list has rows"
    assert all(h < 2.5 * line + 24 for h, line in heights), max(heights)
    screenshot(f"job-390-{path.strip('/').replace('/', '-')}")


@pytest.fixture
def pay_input():
    def make(amount: str) -> PayoutInput:
        return PayoutInput(type="shipping_fee", amount=Decimal(amount), reason="运费补偿", buyer_message="已为您补运费")

    return make
