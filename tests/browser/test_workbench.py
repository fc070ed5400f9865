"""The home is a workbench (RPT-06): each role's home page in a real browser, both charts drawn by the
vendored ECharts under the CSP; a screenshot of each in test-artifacts/."""

import pytest

from core.clocks import run_all
from orders.scenario import load_scenario
from tests.browser.test_admin_login import login
from tests.conftest import demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_demo(demo):
    """The demo as bin/run starts it: with its activity, and the clocks run once (payouts settled)."""
    load_scenario(demo_data(activity=True))
    run_all()


@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_lead", "ops1"])
def test_rpt_06_home_shows_the_roles_work_and_draws_both_charts(busy_demo, live_server, page, screenshot, username):
    """RPT-06: to-do counts with links, and the charts of RPT-01 (30 days) and RPT-02 (today) drawn."""
    errors = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    login(page, live_server, username)
    page.wait_for_selector("[data-testid=workbench]")
    assert page.locator(".wb-todos a").count() >= 3
    for chart in ("#chart-payouts-daily", "#chart-quota-usage"):
        page.wait_for_selector(f"{chart}[data-drawn='1']", timeout=15_000)
        assert page.locator(f"{chart} canvas").count() >= 1
    assert errors == []
    screenshot(f"workbench-home-{username}")


def test_rpt_06_outlet_user_sees_its_queues(busy_demo, live_server, page, screenshot):
    """RPT-06: an outlet user's home lists contracts to review and returns to report."""
    login(page, live_server, "jt_gz_01_user")
    page.wait_for_selector("[data-testid=todo-contracts]")
    assert page.get_attribute("[data-testid=todo-contracts]", "data-count") == "1"
    assert page.locator("[data-testid=todo-returns]").count() == 1
    screenshot("workbench-home-jt_gz_01_user")


def test_rpt_01_report_page_draws_its_chart_beside_its_table(busy_demo, live_server, page, screenshot):
    """RPT-01..05 pages: filters, a chart and the table of the same numbers."""
    login(page, live_server, "dy_admin")
    page.goto(f"{live_server.url}/admin/workbench/reports/payouts-daily/?from=2026-11-01&to=2026-11-30")
    page.wait_for_selector("#report-chart[data-drawn='1']", timeout=15_000)
    assert page.locator("[data-testid=report-table] tbody tr").count() == 30
    screenshot("workbench-report-payouts-daily")
    for slug in ("payouts-by-product", "interceptions-by-outlet", "reship-sla", "quota-usage"):
        page.goto(f"{live_server.url}/admin/workbench/reports/{slug}/")
        page.wait_for_selector("#report-chart[data-drawn='1']", timeout=15_000)
        assert page.locator("[data-testid=report-table] tbody tr").count() >= 1
        screenshot(f"workbench-report-{slug}")


def test_ntf_06_inbox_page_unread_first_and_mark_all_read(busy_demo, live_server, page, screenshot):
    """SPEC §10, NTF-06: the header count leads to the inbox, unread first; 全部标为已读 empties the count."""
    login(page, live_server, "pdd_admin")
    # Three requests sent to approvers (NTF-02) and the failed payout with a card (NTF-01).
    assert page.get_attribute("[data-testid=inbox-unread]", "data-unread") == "4"
    with page.expect_navigation():
        page.click("[data-testid=inbox-unread]")
    assert page.locator("#result_list tbody tr").count() == 4
    screenshot("workbench-inbox-pdd_admin")
    with page.expect_navigation():
        page.click("[data-testid=inbox-read-all]")
    assert page.get_attribute("[data-testid=inbox-unread]", "data-unread") == "0"
