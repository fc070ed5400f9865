"""OPS-05: 系统状态 in a real browser, with the admin's look: beat stopped for longer than twice a clock's
interval → the clock is late on the page and in /readyz. Screenshot: test-artifacts/ops-status-late-clock.png."""

import datetime as dt

import pytest

from accounts.models import Shop
from core import clocks
from core.clock import now
from core.models import ClockRun
from core.observability import rail_call
from platforms.models import PlatformConnection
from tests.browser.test_admin_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ops_05_status_page_shows_a_late_clock(demo, live_server, page, screenshot):
    """OPS-05: every clock ran 10 minutes ago, then beat stopped: the 60-second clocks are late (2× = 2 min),
    the hourly ones are not; rails and a lagging platform connection are shown."""
    ran = now() - dt.timedelta(minutes=10)
    for name in clocks.SWEEPS:
        ClockRun.objects.create(clock=name, last_run_at=ran, last_ok_at=ran, duration_ms=42, rows_moved=3, runs=1)
    for outcome in ("accepted", "accepted", "accepted", "rejected"):
        with rail_call("wechat", "submit") as call:
            call.outcome = outcome
    with pytest.raises(TimeoutError), rail_call("alipay", "submit"):
        raise TimeoutError
    PlatformConnection.objects.create(shop=Shop.objects.get(key="dy"), platform="douyin", lag_seconds=5400, failures=2,
                                      last_sync_at=now() - dt.timedelta(minutes=90), last_error_at=now(),
                                      last_error_code="isv.business-failed:10004", last_error_message="服务繁忙，请稍后重试")
    PlatformConnection.objects.create(shop=Shop.objects.get(key="pdd"), platform="pinduoduo", lag_seconds=120,
                                      last_sync_at=now() - dt.timedelta(minutes=2))
    login(page, live_server, "ops1")
    page.goto(f"{live_server.url}/admin/")
    page.click("a[href='/admin/ops/status/']")
    page.wait_for_selector("[data-testid=ops-status]")
    late = page.locator("[data-clock=payouts_settle]")
    assert "已延迟" in late.inner_text()
    assert "按时" in page.locator("[data-clock=ledger_verify]").inner_text()
    assert "个定时任务已延迟" in page.locator("[data-testid=late-count]").inner_text()
    assert page.locator("[data-testid=ops-rails] tbody tr").count() == 2
    assert "服务繁忙" in page.locator("[data-testid=ops-connections]").inner_text()
    screenshot("ops-status-late-clock")
    readyz = page.request.get(f"{live_server.url}/readyz").json()
    assert readyz["status"] == "degraded" and readyz["clocks"]["payouts_settle"]["late"] is True
