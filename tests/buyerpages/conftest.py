# ruff: noqa: F811  (the rails' fixtures imported below are used by name)
"""The buyer pages' fixtures: the demo's people and orders, a failed Pinduoduo payout with its account card,
and the fake WeChat web side (authorization, JS-SDK) on a loopback port."""


import pytest

from core.clocks import run_all
from payouts.services import payout_create
from tests.payouts.conftest import orders, pay, users  # noqa: F401  the payouts' fixtures, used by name

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
             "Mobile Safari/537.36 MicroMessenger/8.0.50.2600 NetType/WIFI Language/zh_CN")


@pytest.fixture
def failed_payout(orders, users, pay, django_capture_on_commit_callbacks):
    """A Pinduoduo payout to a buyer whose sandbox account is invalid: failed, with an open account card (the
    hooks after commit run: the card page's link is sent)."""
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "failed" and payout.cards.filter(status="sent").exists()
    return payout


# The fake rails of tests/payouts/rails (WeChat Pay 商家转账 and Alipay, every shop on them).
from tests.payouts.rails.conftest import deliver, merchant, rail_keys, rails  # noqa: E402,F401

APP_ID, APP_SECRET = "wx8888888888888888", "fake-official-account-secret"


@pytest.fixture
def wechat_web(rails, settings):
    """The fake WeChat web side (authorization, JS-SDK) for the merchant app of the fake rail; its confirm step
    is the fake WeChat Pay's (`confirm` of the bill whose package the page handed over)."""
    from payouts.rails.models import ShopRail
    from tests.buyerpages.fake_wechat_oauth import FakeWechatOAuth
    from tests.payouts.rails.fake_common import serve

    def on_confirm(mch_id: str, app_id: str, package: str) -> bool:
        numbers = [n for n, bill in rails.wechat.bills.items()
                   if bill.get("package_info") == package and bill.get("mch_id") == mch_id and bill.get("appid") == app_id]
        if len(numbers) != 1:
            return False
        return rails.wechat.confirm(numbers[0])["state"] == "SUCCESS"

    fake = FakeWechatOAuth(apps={APP_ID: APP_SECRET}, user="wechat-buyer", on_confirm=on_confirm)
    server, url = serve(fake)
    fake.base_url = url
    settings.WECHAT_OAUTH_AUTHORIZE_URL = f"{url}/connect/oauth2/authorize"
    settings.WECHAT_OAUTH_API_BASE_URL = url
    settings.WECHAT_JSSDK_URL = f"{url}/open/js/jweixin-1.6.0.js"
    for config in ShopRail.objects.all():
        config.set_secrets({"wechat_app_secret": APP_SECRET})
        config.save()
    yield fake
    server.shutdown()
