"""OPS-05: 系统状态 for platform staff: clocks (late ones marked), queues, rails, platform connections."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import Shop, User
from core import clocks
from core.clock import now
from core.models import ClockRun
from core.observability import rail_call
from platforms.models import PlatformConnection

pytestmark = pytest.mark.django_db
URL = "/admin/ops/status/"


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_ops_05_status_page_is_for_platform_staff_only(demo):
    """OPS-05: platform staff see 系统状态 (and it is in their menu); shop people do not."""
    staff = signed_in("ops1")
    assert staff.get(URL).status_code == 200
    assert URL in staff.get("/admin/").content.decode()
    for username in ("dy_admin", "pdd_lead", "dy_cs1"):
        client = signed_in(username)
        assert client.get(URL).status_code == 403, username
        assert URL not in client.get("/admin/").content.decode()
    assert Client().get(URL).status_code == 302  # to the sign-in page


def test_ops_05_status_page_shows_late_clocks_rails_and_connections_in_chinese(demo):
    """OPS-05: a stopped beat shows as late clocks; each rail's outcomes and latency; each platform
    connection's lag and last error — labels in Chinese, no codes."""
    for name in clocks.SWEEPS:
        ClockRun.objects.create(clock=name, last_run_at=now(), last_ok_at=now(), runs=1)
    with rail_call("wechat", "submit") as call:
        call.outcome = "accepted"
    with pytest.raises(TimeoutError), rail_call("wechat", "submit"):
        raise TimeoutError
    PlatformConnection.objects.create(shop=Shop.objects.get(key="dy"), platform="douyin", lag_seconds=5400, failures=2,
                                      last_error_code="isv.access-token-expired", last_error_message="令牌已过期",
                                      last_error_at=now())
    with time_machine.travel(now() + dt.timedelta(minutes=3)):
        page = signed_in("ops1").get(URL).content.decode()
    assert "系统状态" in page and "定时任务" in page and "任务队列" in page and "支付通道" in page
    assert "平台对接" in page  # the product's word for platform connections
    assert "向支付通道确认打款结果" in page  # payouts_settle (60 s) is late after 3 minutes
    assert "已延迟" in page
    assert 'data-testid="late-count"' in page
    assert "核对店铺账本" in page  # hourly: on time
    assert "微信" in page or "WeChat" in page
    assert "已受理 1" in page and "超时 1" in page
    assert "1 小时" in page and "令牌已过期" in page and "isv.access-token-expired" in page
    assert "payouts_settle</td>" not in page  # labels, not codes


def test_ops_05_status_page_when_the_broker_is_down(demo, settings):
    """OPS-05: the page still answers when the broker does not; it says so."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/2"
    page = signed_in("ops1").get(URL).content.decode()
    assert "任务队列服务无响应" in page
