"""Browser tests of 售后 (SPEC §5, §6, §9): the workbench's quick filter and opening an after-sales entry."""

from decimal import Decimal

import pytest
import time_machine

from aftersales.models import AftersalesEntry
from aftersales.services import ticket_create
from tests.aftersales.helpers import NOW, order, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def at_demo_time():
    # The demo's orders are dated around NOW; the clock ticks from there (live server and test alike).
    with time_machine.travel(NOW, tick=True):
        yield


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_rs03_workbench_quick_filter_shows_exchange_and_reship_pending(demo, at_demo_time, live_server, page,
                                                                       screenshot):
    """RS-03, SPEC §5: 售后工作台 › 快捷筛选 「换货&补寄待处理」 keeps the reship and drops the refund."""
    reship = ticket_create(order=order("DY1022"), buyer=user("buyer_ok"), type="reship", reason="missing_items")
    ticket_create(order=order("DY1023"), buyer=user("buyer_ok"), type="refund_only", reason="x",
                  amount=Decimal("5.00"))
    login(page, live_server, "dy_cs1")
    page.goto(f"{live_server.url}/admin/aftersales/ticket/")
    assert "售后工作台" in page.inner_text("#content")
    assert "DY1023" in page.inner_text("#result_list")
    with page.expect_navigation():
        page.click("#changelist-filter >> text=换货&补寄待处理")
    rows = page.inner_text("#result_list")
    assert "DY1022" in rows and "DY1023" not in rows
    assert "自动同意 47 小时后" in rows or "自动同意 48 小时后" in rows
    screenshot("aftersales-workbench-quick-filter")
    with page.expect_navigation():
        page.click(f"#result_list a[href*='/ticket/{reship.pk}/change/']")
    assert page.is_visible("[data-testid=approve]")


def test_ase_r01_main_account_opens_an_entry_after_confirming(demo, at_demo_time, live_server, page, screenshot):
    """ASE-R01, ASE-E01..E06: look the order up, read the rules, confirm, and the entry is open."""
    login(page, live_server, "dy_admin")
    page.goto(f"{live_server.url}/admin/aftersales/aftersalesentry/")
    page.fill("#open-entry-order", "DY1016")
    with page.expect_navigation():
        page.click("#open-entry-lookup input[type=submit]")
    assert page.locator("#eligibility tr.rule-ok").count() == 6
    page.click("#open-entry-submit")  # the browser refuses: the confirmation box is required
    assert not AftersalesEntry.objects.exists()
    page.check("#confirm-open")
    with page.expect_navigation():
        page.click("#open-entry-submit")
    assert page.is_visible("#entry-open")
    assert "已为买家打开售后入口" in page.inner_text("body")
    screenshot("aftersales-open-entry")
    assert AftersalesEntry.objects.filter(order__order_no="DY1016", status="open").count() == 1
