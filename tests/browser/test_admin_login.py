"""Signing in to the admin in a real browser, in Chinese by default (SPEC §9)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_main_account_signs_in_and_sees_the_chinese_menus(demo, live_server, page, screenshot):
    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "用户名" in page.content()
    login(page, live_server, "dy_admin")

    page.wait_for_selector("#content-main")
    assert "抖音示例小店" in page.inner_text("#user-tools")
    body = page.inner_text("body")
    assert "订单管理" in body and "客服打款配额" in body
    shot = screenshot("admin-index-zh")
    assert shot.stat().st_size > 10_000


def test_language_switch_turns_the_admin_english_and_back(demo, live_server, page):
    login(page, live_server, "dy_cs1")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert "order management" in page.inner_text("body").lower()  # captions are upper-cased by CSS
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert "订单管理" in page.inner_text("body")


def test_sub_account_opens_an_order_detail(demo, live_server, page, screenshot):
    login(page, live_server, "dy_cs1")
    page.goto(f"{live_server.url}/admin/orders/order/?q=DY1022")
    with page.expect_navigation():
        page.click("#result_list >> text=DY1022")
    page.wait_for_selector("#content-main")
    text = page.inner_text("#content-main")
    assert "DY1022" in text and "操作日志" in text
    screenshot("order-detail-zh")
