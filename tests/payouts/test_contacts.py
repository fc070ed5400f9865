"""PAY-F06 (seed 001 「严禁索要及添加消费者支付宝/微信/QQ 等账号」): a reason or a message to the buyer that asks for
an off-platform account or contact is refused before anything is held; the form and the sidebar warn."""

import uuid

import pytest
from django.contrib.staticfiles import finders

from accounts.models import User
from payouts.contacts import off_platform_contact
from tests.payouts.api_support import BODY, PDD_BODY, error_of, snapshot

pytestmark = pytest.mark.django_db

ASKING = ["加我微信,发你补偿", "麻烦告诉我您的微信号", "加个QQ吧", "ＱＱ号发我一下", "留个支付宝账号,我直接转给你",
          "加 微-信 详聊", "vx：abc123", "给个手机号,我加你", "13800138000 加我", "发下你的支付宝"]
FINE = ["运费补偿", "已为您补运费,请查收", "补差价 5 元", "亲,给您补偿运费,祝生活愉快", "订单 DY1001 的运费",
        "已打款,请在抖音钱包查看", "微信支付的差价", "加急补偿", "退运费12元", "已退至您的支付宝账户"]


@pytest.mark.parametrize("text", ASKING)
def test_pay_f06_asking_for_an_off_platform_account_is_recognised(text):
    assert off_platform_contact(text)


@pytest.mark.parametrize("text", FINE)
def test_pay_f06_ordinary_compensation_words_are_not_refused(text):
    assert not off_platform_contact(text)


def post(api, path, body, token="tok-dy_admin"):
    return api(token).post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


@pytest.mark.parametrize(("path", "body", "token"), [
    ("/api/v1/payouts/", {**BODY, "buyer_message": "加我微信,发你补偿"}, "tok-dy_admin"),
    ("/api/v1/payouts/", {**PDD_BODY, "reason": "买家留个支付宝账号"}, "tok-pdd_admin"),
    ("/api/v1/payout-requests/", {**BODY, "buyer_message": "QQ号发我一下"}, "tok-dy_cs2"),
])
def test_pay_f06_api_refuses_off_platform_contact_before_anything_is_held(demo, api, path, body, token):
    before = snapshot()
    body = error_of(post(api, path, body, token), 422, "off_platform_contact", "PAY-F06")
    assert "严禁索要及添加消费者支付宝/微信/QQ 等账号" in body["message"]
    assert snapshot() == before


def test_pay_f06_the_same_payout_without_the_contact_is_made(demo, api):
    assert post(api, "/api/v1/payouts/", BODY).status_code == 201


def test_pay_f06_payout_form_warns_and_names_the_field(demo, client):
    client.force_login(User.objects.get(username="dy_admin"))
    page = client.get("/admin/payouts/payout/initiate/", {"order_no": "DY1001"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert page.status_code == 200
    assert 'data-testid="contact-warning"' in page.content.decode()
    assert "严禁索要及添加消费者支付宝/微信/QQ 等账号" in page.content.decode()
    before = snapshot()
    answer = client.post("/admin/payouts/payout/initiate/?order_no=DY1001", {
        "order_no": "DY1001", "type": "shipping_fee", "amount": "5.00", "reason": "运费补偿",
        "buyer_message": "加我微信详聊", "pay_method": "balance", "action": "preview"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert answer.status_code == 200
    assert answer.context["form"].errors["buyer_message"] and "confirm-summary" not in answer.content.decode()
    assert snapshot() == before


def test_pay_f06_chat_sidebar_warns_on_its_payout_form():
    script = open(finders.find("chattools/sidebar.js"), encoding="utf-8").read()
    form = script[script.index("function renderPay"):]
    assert "严禁索要及添加消费者支付宝/微信/QQ 等账号" in form[:form.index('field(form, "类型"')]
