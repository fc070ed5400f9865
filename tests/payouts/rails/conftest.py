"""Both fake rails on loopback ports, with keys made for this run, and the two demo shops switched to them:
payouts to WeChat Pay 商家转账, account-card retries (PAY-C02) to Alipay."""

import secrets
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from accounts.models import Shop
from payouts.models import Payout
from payouts.rails.models import Rail, ShopRail
from payouts.services import payout_continue, payout_create
from tests.payouts.rails.fake_alipay import FakeAlipay
from tests.payouts.rails.fake_common import new_key, private_pem, public_pem, serve
from tests.payouts.rails.fake_wechat import FakeWechatPay


@dataclass
class Merchant:
    mch_id: str
    serial: str
    private_pem: str
    public_pem: str
    apiv3_key: str
    app_id: str
    app_private_pem: str
    app_public_pem: str


@pytest.fixture(scope="session")
def merchant() -> Merchant:
    key, app_key = new_key(), new_key()
    return Merchant(mch_id="1900000109", serial=secrets.token_hex(20).upper(), private_pem=private_pem(key),
                    public_pem=public_pem(key), apiv3_key=secrets.token_hex(16), app_id="2021000000000001",
                    app_private_pem=private_pem(app_key, pkcs1=True), app_public_pem=public_pem(app_key))


@pytest.fixture
def rail_keys(settings):
    settings.PAYMENT_RAIL_KEYS = [Fernet.generate_key().decode()]
    return settings.PAYMENT_RAIL_KEYS


@dataclass
class Rails:
    wechat: FakeWechatPay
    alipay: FakeAlipay


def configure(shop: Shop, merchant: Merchant, wechat: FakeWechatPay, wechat_url: str, alipay: FakeAlipay,
              alipay_url: str, notify_base: str = "http://testserver") -> ShopRail:
    config = ShopRail(shop=shop, rail=Rail.WECHAT, card_rail=Rail.ALIPAY, notify_base_url=notify_base,
                      wechat_base_url=wechat_url, wechat_mch_id=merchant.mch_id, wechat_appid="wx8888888888888888",
                      wechat_cert_serial=merchant.serial, wechat_public_key_id=wechat.public_key_id,
                      alipay_base_url=f"{alipay_url}/gateway.do", alipay_app_id=merchant.app_id,
                      alipay_sign_mode="key")
    config.set_secrets({"wechat_private_key": merchant.private_pem, "wechat_platform_public_key": wechat.public_key_pem,
                        "wechat_apiv3_key": merchant.apiv3_key, "alipay_app_private_key": merchant.app_private_pem,
                        "alipay_public_key": alipay.public_key_pem})
    config.save()
    return config


def openid_of(username: str) -> str:
    """The buyer's openid under the merchant app in these tests (PAY-B03)."""
    return f"oWX_{username}"


@pytest.fixture
def rails(demo, rail_keys, merchant, settings):
    """The fakes, every shop on them, every buyer authorized (an openid under the app), and the worker's
    submission run in the process after the commit (PAYOUT_SUBMIT_INLINE: no worker in the test)."""
    from accounts.models import Role, User
    from payouts.rails.models import buyer_openid_set

    settings.PAYOUT_SUBMIT_INLINE = True
    for buyer in User.objects.filter(role=Role.BUYER):
        buyer_openid_set(app_id="wx8888888888888888", buyer_id=buyer.pk, openid=openid_of(buyer.username))
    wechat = FakeWechatPay(mch_id=merchant.mch_id, merchant_serial=merchant.serial,
                           merchant_public_key_pem=merchant.public_pem, apiv3_key=merchant.apiv3_key)
    alipay = FakeAlipay(app_id=merchant.app_id, app_public_key_pem=merchant.app_public_pem)
    wechat_server, wechat_url = serve(wechat)
    alipay_server, alipay_url = serve(alipay)
    for shop in Shop.objects.all():
        configure(shop, merchant, wechat, wechat_url, alipay, alipay_url)
    yield Rails(wechat, alipay)
    wechat_server.shutdown()
    alipay_server.shutdown()


@pytest.fixture
def deliver(client):
    """Hand a fake's callback to the product as the rail would (the Django test client)."""

    def wechat(shop_id: int, headers: dict, body: bytes):
        return client.post(reverse("api-v1:rails:wechat-notify", args=[shop_id]), data=body,
                           content_type="application/json", headers=headers)

    def alipay(shop_id: int, params: dict):
        return client.post(reverse("api-v1:rails:alipay-notify", args=[shop_id]), data=params)

    return type("Deliver", (), {"wechat": staticmethod(wechat), "alipay": staticmethod(alipay)})


@pytest.fixture
def start(orders, users, pay, django_capture_on_commit_callbacks):
    """A payout submitted to its shop's rail (on_commit run: the adapter really posts to the fake)."""

    def make(order_no: str = "DY1001", amount: str = "12.34") -> Payout:
        order = orders[order_no]
        actor = users["dy_admin" if order_no.startswith("DY") else "pdd_admin"]
        with django_capture_on_commit_callbacks(execute=True):
            payout = payout_create(order=order, data=pay(amount), actor=actor)
        if payout.status == "pending":
            with django_capture_on_commit_callbacks(execute=True):
                payout = payout_continue(payout=payout, actor=actor)
        payout.refresh_from_db()
        assert payout.status == "processing"
        return payout

    return make


def ref(payout: Payout) -> str:
    payout.refresh_from_db()
    return f"PO{payout.pk}-{payout.attempt}"
