"""The WeChat identity page (PAY-B03) and the confirm-receipt page (PAY-B04) through the Django test client,
against the fake WeChat Pay 商家转账 (tests/payouts/rails) and the fake WeChat web side (authorization, JS-SDK)."""

import datetime as dt
import json
import re
import urllib.parse

import pytest
import requests
import time_machine

from accounts.selectors import ledger_drifts
from buyerpages import links
from core.clock import now
from notifications.models import Notification
from payouts.rails.common import bill_no
from payouts.rails.models import BuyerWechatIdentity, buyer_openid
from payouts.services import payout_create
from tests.buyerpages.conftest import APP_ID, WECHAT_UA

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+?(/b/\S+/)")


def link_path(payout, kind: str) -> str:
    note = Notification.objects.filter(about_id=payout.pk, kind=kind).latest("id")
    return LINK.search(note.body).group(1)


@pytest.fixture
def pay_dy(orders, users, pay, django_capture_on_commit_callbacks):
    def make(order_no="DY1001", amount="12.34"):
        with django_capture_on_commit_callbacks(execute=True):
            payout = payout_create(order=orders[order_no], data=pay(amount), actor=users["dy_admin"])
        payout.refresh_from_db()
        return payout

    return make


def wechat(client, path, **kw):
    return client.get(path, HTTP_USER_AGENT=WECHAT_UA, **kw)


def test_pay_b03_buyer_without_openid_authorizes_on_the_page_and_the_payout_goes_on(
        rails, wechat_web, client, orders, pay_dy, django_capture_on_commit_callbacks, settings):
    """PAY-B03: a WeChat payout for a buyer with no openid under the merchant's app is pending with
    buyer_identity_needed (nothing sent to the rail) and the buyer's message carries the link; the page sends
    the buyer to WeChat's snsapi_base authorization, the code becomes the openid kept per app and buyer, and the
    payout goes to the rail paying that openid."""
    buyer = orders["DY1001"].buyer
    BuyerWechatIdentity.objects.filter(buyer=buyer).delete()
    payout = pay_dy()
    assert (payout.status, payout.pending_reason) == ("pending", "buyer_identity_needed")
    assert rails.wechat.bills == {}
    path = link_path(payout, "buyer_identity_link")

    outside = client.get(path)
    assert outside.status_code == 200 and "请在微信中打开此链接" in outside.content.decode()
    page = wechat(client, path)
    assert page.status_code == 200 and "微信授权并继续" in page.content.decode()
    go = wechat(client, path + "authorize/")
    assert go.status_code == 302
    target = urllib.parse.urlsplit(go["Location"])
    query = dict(urllib.parse.parse_qsl(target.query))
    assert go["Location"].startswith(settings.WECHAT_OAUTH_AUTHORIZE_URL) and target.fragment == "wechat_redirect"
    assert (query["appid"], query["scope"], query["response_type"]) == (APP_ID, "snsapi_base", "code")
    assert query["redirect_uri"] == settings.BUYER_PAGES_BASE_URL + "/b/wechat/callback/"
    back = requests.get(go["Location"].split("#")[0], allow_redirects=False, timeout=5)  # WeChat, silently
    assert back.status_code == 302
    callback = urllib.parse.urlsplit(back.headers["Location"])
    with django_capture_on_commit_callbacks(execute=True):
        done = wechat(client, f"{callback.path}?{callback.query}")
    assert done.status_code == 200 and "微信身份已确认" in done.content.decode()

    openid = wechat_web.openid(APP_ID)
    assert buyer_openid(app_id=APP_ID, buyer_id=buyer.pk) == openid
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.pending_reason == ""
    bill = rails.wechat.bills[bill_no(f"PO{payout.pk}-{payout.attempt}")]
    assert bill["openid"] == openid and bill["appid"] == APP_ID

    again = wechat(client, f"{callback.path}?{callback.query}")  # the same code and state again
    assert again.status_code == 400 and "链接无效" in again.content.decode()
    assert len(rails.wechat.bills) == 1 and wechat_web.authorizations == [(APP_ID, openid)]


def test_pay_b03_a_refused_or_bad_code_changes_nothing(rails, wechat_web, client, orders, pay_dy):
    BuyerWechatIdentity.objects.filter(buyer=orders["DY1001"].buyer).delete()
    payout = pay_dy()
    path = link_path(payout, "buyer_identity_link")
    go = urllib.parse.urlsplit(wechat(client, path + "authorize/")["Location"])
    state = dict(urllib.parse.parse_qsl(go.query))["state"]
    answer = wechat(client, f"/b/wechat/callback/?code=forged&state={state}")
    assert answer.status_code == 502 and "微信授权未完成" in answer.content.decode()
    assert wechat(client, "/b/wechat/callback/?code=x&state=unknown").status_code == 400
    payout.refresh_from_db()
    assert payout.pending_reason == "buyer_identity_needed" and rails.wechat.bills == {}
    assert not BuyerWechatIdentity.objects.filter(buyer=orders["DY1001"].buyer).exists()


def test_pay_b04_waiting_transfer_page_hands_the_package_to_wechat_and_shows_the_deadline(
        rails, wechat_web, client, pay_dy, deliver, django_capture_on_commit_callbacks):
    """PAY-B04: WAIT_USER_CONFIRM keeps package_info; the buyer's message links the confirm page, which hands
    mchId, appId and the package to requestMerchantTransfer (through the JS-SDK signed for the page) and shows
    the deadline; the payout reads 待买家确认收款 until the rail reports the result."""
    rails.wechat.confirm_required = True
    payout = pay_dy()
    number = bill_no(f"PO{payout.pk}-{payout.attempt}")
    assert payout.status == "processing" and payout.package_info == rails.wechat.bills[number]["package_info"]
    assert payout.confirm_deadline is not None and payout.status_label == "待买家确认收款"
    path = link_path(payout, "confirm_receipt_link")
    assert links.read(links.CONFIRM, path.split("/")[3]).expires_at == payout.confirm_deadline.replace(microsecond=0)

    page = wechat(client, path)
    html = page.content.decode()
    assert page.status_code == 200 and "待买家确认收款" in html
    deadline = payout.confirm_deadline.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert deadline in html
    data = json.loads(re.search(r'<script id="wx-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["transfer"] == {"mchId": rails.wechat.mch_id, "appId": APP_ID, "package": payout.package_info}
    assert data["config"]["appId"] == APP_ID and "requestMerchantTransfer" in data["config"]["jsApiList"]
    assert wechat_web.base_url in page["Content-Security-Policy"]
    outside = client.get(path)
    assert "请在微信中打开此链接" in outside.content.decode() and "wx-data" not in outside.content.decode()
    assert wechat_web.base_url not in outside["Content-Security-Policy"]

    rails.wechat.confirm(number)  # the buyer confirms in WeChat
    headers, body = rails.wechat.callback(number)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver.wechat(payout.shop_id, headers, body).status_code == 204
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert "已到账" in wechat(client, path).content.decode()
    assert rails.wechat.payments == [(number, 1234)] and ledger_drifts() == []


def test_pay_b01_confirm_link_expires_with_the_rails_deadline(rails, wechat_web, client, pay_dy):
    rails.wechat.confirm_required = True
    payout = pay_dy()
    path = link_path(payout, "confirm_receipt_link")
    with time_machine.travel(payout.confirm_deadline + dt.timedelta(seconds=1)):
        answer = wechat(client, path)
    assert answer.status_code == 410 and "链接已过期" in answer.content.decode()
    assert now() < payout.confirm_deadline


def test_pay_b03_from_2000_the_identity_page_asks_the_real_name_wechat_needs(
        rails, wechat_web, client, orders, pay_dy, django_capture_on_commit_callbacks):
    """PAY-B03 with PAY-S12: from 2,000.00 WeChat wants the payee's real name; the identity page asks it before
    WeChat's authorization and keeps it with the openid (the payout's amount is raised here: the demo's caps
    are far below)."""
    from payouts.models import Payout

    buyer = orders["DY1001"].buyer
    BuyerWechatIdentity.objects.filter(buyer=buyer).delete()
    payout = pay_dy()
    Payout.objects.filter(pk=payout.pk).update(amount="2500.00")
    path = link_path(payout, "buyer_identity_link")
    page = wechat(client, path).content.decode()
    assert 'name="name"' in page and "2,000" in page
    refused = client.post(path + "authorize/", {"name": ""}, HTTP_USER_AGENT=WECHAT_UA)
    assert refused.status_code == 400 and "请填写您的真实姓名" in refused.content.decode()
    go = client.post(path + "authorize/", {"name": "张三"}, HTTP_USER_AGENT=WECHAT_UA)
    assert go.status_code == 302
    back = urllib.parse.urlsplit(requests.get(go["Location"].split("#")[0], allow_redirects=False,
                                              timeout=5).headers["Location"])
    with django_capture_on_commit_callbacks(execute=True):
        assert wechat(client, f"{back.path}?{back.query}").status_code == 200
    identity = BuyerWechatIdentity.objects.get(buyer=buyer, app_id=APP_ID)
    assert (identity.openid, identity.real_name) == (wechat_web.openid(APP_ID), "张三")
