"""到账凭证 (PAY-R02) against the fake rails: the proof is the real adapters' query, by the key the payout
succeeded under — WeChat's transfer_bill_no and update_time, Alipay's pay_fund_order_id and pay_date."""

import pytest

from core.models import RailCall
from payouts.models import Payout
from payouts.rails.common import bill_no
from payouts.services import payout_card_submit
from tests.payouts.rails.conftest import ref

pytestmark = pytest.mark.django_db


def test_pay_r02_wechat_proof_is_the_bill_as_wechat_answers_it_now(rails, start, deliver, api):
    payout = start("DY1001", "12.34")
    number = bill_no(ref(payout))
    rails.wechat.advance(number)
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    asked = RailCall.objects.filter(rail="wechat", op="query").count()
    body = api("tok-dy_admin").get(f"/api/v1/payouts/{payout.pk}/proof/").json()
    assert RailCall.objects.filter(rail="wechat", op="query").count() == asked + 1  # timed and counted (OPS-02)
    bill = rails.wechat.bills[number]
    assert body["rail"] == "wechat" and body["ref"] == ref(payout)
    assert body["transfer_id"] == bill["transfer_bill_no"]
    assert body["amount"] == "12.34" and body["amount_matches"] is True
    assert body["paid_at"][:19] == bill["update_time"][:19]


def test_pay_r02_alipay_proof_after_a_card_retry_uses_the_key_it_succeeded_under(
        rails, start, deliver, api, django_capture_on_commit_callbacks):
    payout = start("PDD2001", "5.00")
    first = ref(payout)
    rails.wechat.advance(bill_no(first), "FAIL", "OPENID_INVALID")
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(bill_no(first))).status_code == 204
    card = Payout.objects.get(pk=payout.pk).cards.get(status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="alipay",
                           account="buyer@example.com", name="张三")
    retry = ref(payout)
    rails.alipay.advance(retry)
    assert deliver.alipay(payout.shop_id, rails.alipay.notification(retry)).status_code == 200
    body = api("tok-pdd_admin").get(f"/api/v1/payouts/{payout.pk}/proof/").json()
    order = rails.alipay.orders[retry]
    assert body["ref"] == retry != first and body["rail"] == "alipay"
    assert body["transfer_id"] == order["pay_fund_order_id"] and body["amount"] == "5.00"
    assert body["paid_at"] and "2 小时内到达您的支付宝账户" in body["where_to_find"]
