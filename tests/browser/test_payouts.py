"""售后 › 小额打款 in a real browser (SPEC §9): a payout initiated, confirmed and found in the records; a
sub-account's request approved by the main account in 待处理."""

import pytest

from payouts.models import Payout, PayoutRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")


def fill_payout(page, amount: str) -> None:
    page.select_option("#id_type", "shipping_fee")
    page.fill("#id_amount", amount)
    page.select_option("#id_product_id", index=1)
    page.fill("#id_reason", "运费补偿")
    page.fill("#id_buyer_message", "亲，已为您补偿运费，请查收")
    with page.expect_navigation():
        page.click("[data-testid=preview]")


def test_pay_f04_main_account_initiates_a_payout_from_the_order_and_finds_it_in_the_records(
        demo, live_server, page, screenshot):
    login(page, live_server, "dy_admin")
    page.goto(f"{live_server.url}/admin/orders/order/?q=DY1022")
    with page.expect_navigation():
        page.click("#result_list >> text=DY1022")
    with page.expect_navigation():
        page.click("[data-testid=initiate-payout]")
    warning = page.inner_text("[data-testid=duplicate-warning]")
    assert "平台已向买家退运费" in warning and "8.00" in warning  # PAY-F04
    assert "订单剩余打款次数" in page.inner_text("[data-testid=remaining]")  # PAY-F05
    screenshot("payout-initiate-zh")

    fill_payout(page, "6.00")
    summary = page.inner_text("[data-testid=confirm-summary]")
    assert "6.00" in summary and "补运费" in summary
    assert "8.00" in page.inner_text("[data-testid=duplicate-warning]")  # the warning again, before paying
    screenshot("payout-confirm-zh")
    with page.expect_navigation():
        page.click("[data-testid=confirm]")
    assert "打款已发起" in page.inner_text("ul.messagelist")
    payout = Payout.objects.get()
    assert (payout.amount, payout.applicant.username, payout.order.order_no) == (6, "dy_admin", "DY1022")
    screenshot("payout-detail-zh")

    with page.expect_navigation():
        page.click("[data-testid=payout-tabs] >> text=打款记录")
    rows = page.inner_text("#result_list")
    assert "DY1022" in rows and "6.00" in rows and ("打款中" in rows or "打款成功" in rows)  # PAY-S01: submitted at once
    screenshot("payout-records-zh")
    assert Payout.objects.count() == 1

    # PAY-R02: the order detail lists the payout and links to it.
    page.goto(f"{live_server.url}/admin/orders/order/{payout.order_id}/change/")
    block = page.inner_text("[data-testid=order-payouts]")
    assert f"#{payout.pk}" in block and "6.00" in block and ("打款中" in block or "打款成功" in block)
    screenshot("order-detail-payouts-zh")


def test_pay_a02_sub_account_request_is_approved_by_the_main_account_in_the_pending_queue(
        demo, live_server, page, screenshot):
    login(page, live_server, "pdd_cs2")
    page.goto(f"{live_server.url}/admin/payouts/payout/initiate/?order_no=PDD2001")
    assert page.inner_text("[data-testid=balance-usable]").strip() == "否"  # PAY-Q04: no quota
    fill_payout(page, "5.00")
    assert page.locator("[data-testid=confirm]").count() == 0
    with page.expect_navigation():
        page.click("[data-testid=send-request]")
    assert "已向管理员提交打款申请" in page.inner_text("ul.messagelist")
    request = PayoutRequest.objects.get()
    assert request.requester.username == "pdd_cs2" and not Payout.objects.exists()
    screenshot("payout-request-sent-zh")

    page.context.clear_cookies()
    login(page, live_server, "pdd_admin")
    with page.expect_navigation():
        page.click("text=待处理")
    with page.expect_navigation():
        page.click(f"#result_list >> a[href$='/payoutrequest/{request.pk}/change/']")
    assert "6.00" in page.inner_text("[data-testid=duplicate-warning]")  # the platform's refund, for the approver
    screenshot("payout-request-approve-zh")
    with page.expect_navigation():
        page.click("[data-testid=approve]")
    summary = page.inner_text("[data-testid=approve-summary]")  # PAY-A02: method and amount before money moves
    assert "5.00" in summary and "余额" in summary and not Payout.objects.exists()
    screenshot("payout-request-approve-confirm-zh")
    with page.expect_navigation():
        page.click("[data-testid=approve-confirm]")
    assert "已同意" in page.inner_text("ul.messagelist")
    request.refresh_from_db()
    payout = Payout.objects.get()
    assert request.status == "approved" and request.payout_id == payout.pk
    assert (payout.applicant.username, payout.approved_by.username) == ("pdd_cs2", "pdd_admin")
    screenshot("payout-request-approved-zh")
