"""店铺授权 in a real browser (CON-01, CON-03): the demo shop's main account connects the shop to the fake 抖店
open platform with one click, syncs, and the platform's orders show in 订单."""

import pytest
from cryptography.fernet import Fernet

from platforms.models import PlatformConnection
from tests.payouts.rails.fake_common import serve
from tests.platforms.fake_platforms import FakePlatforms, demo_orders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake(settings):
    platforms = FakePlatforms()
    demo_orders(platforms)
    server, url = serve(platforms)
    settings.PAYMENT_RAIL_KEYS = [Fernet.generate_key().decode()]
    settings.DOUYIN_APP_KEY, settings.DOUYIN_APP_SECRET = platforms.douyin_key, platforms.douyin_secret
    settings.DOUYIN_OPEN_URL, settings.DOUYIN_AUTHORIZE_URL = f"{url}/douyin", f"{url}/douyin/authorize"
    settings.PLATFORM_BACKOFF_SECONDS = 0.01
    yield platforms
    server.shutdown()
    server.server_close()


def test_con01_connect_the_demo_shop_and_its_orders_show(demo, live_server, page, screenshot, fake):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "dy_admin")
    page.fill("#id_password", "demo1234")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/platforms/platformconnection/")
    assert "尚未授权的店铺" in page.inner_text("#content")
    with page.expect_navigation(url="**/admin/platforms/platformconnection/"):
        page.click("#platform-connect a.button[data-shop=dy]")  # the platform's page approves and sends us back
    body = page.inner_text("#content")
    assert "授权成功" in page.inner_text("body") and "已授权" in body
    conn = PlatformConnection.objects.get(shop__key="dy")
    assert conn.status == "connected" and conn.platform_shop_id == "4463798"
    assert conn.tokens()["access_token"] not in page.content()  # never shown

    page.check("input.action-select")
    page.select_option("select[name=action]", "sync_now")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert "新增订单 24 个" in page.inner_text("body")
    screenshot("platforms-shop-authorization")

    page.goto(f"{live_server.url}/admin/orders/order/")
    text = page.inner_text("#result_list")
    assert "6930000000000000023" in text and "6930000000000000022" in text  # the newest orders are the synced ones
    screenshot("platforms-synced-orders")
    page.goto(f"{live_server.url}/admin/orders/order/?q=6930000000000000000")
    assert "6930000000000000000" in page.inner_text("#result_list")
