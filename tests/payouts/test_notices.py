"""What the buyer's and the shop's messages about a payout say (PAY-S04, SEC-06; seeds 000 and 001)."""

import pytest

from core.clocks import run_all
from notifications.models import Notification
from payouts.models import Payout
from payouts.services import payout_card_submit, payout_continue, payout_create

pytestmark = pytest.mark.django_db


def success_notice(payout: Payout) -> str:
    rows = Notification.objects.filter(about_id=payout.pk, kind="payout_succeeded", channel="app")
    assert rows.count() == 1, list(Payout.objects.filter(pk=payout.pk).values_list("status", flat=True))
    return rows.get().body


def settled(payout: Payout, actor=None) -> Payout:
    if payout.status == "pending":
        payout = payout_continue(payout=payout, actor=actor)
    run_all()
    return Payout.objects.get(pk=payout.pk)


def test_pay_s04_seed_000_douyin_success_notice_says_the_money_is_in_the_douyin_wallet(orders, users, pay):
    """Seed 000 「消费者在哪里可以查看到退款?抖音钱包,路径:【抖音】-【我】-【右上角】-【钱包】-【我的零钱】」."""
    payout = settled(payout_create(order=orders["DY1001"], data=pay("5.00"), actor=users["dy_admin"]), users["dy_admin"])
    assert payout.status == "succeeded"
    body = success_notice(payout)
    assert "抖音钱包" in body and "【抖音】-【我】-【右上角】-【钱包】-【我的零钱】" in body
    assert "留言:已为您补运费" in body


def test_pay_s04_seed_001_pinduoduo_balance_payout_arrives_at_once(orders, users, pay):
    """Seed 001 「若可通过【货款余额】支付……一般打款成功之后会即时到账,可能会有几分钟延迟」."""
    payout = settled(payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"]))
    assert payout.status == "succeeded" and payout.pay_method == "balance"
    body = success_notice(payout)
    assert "即时到账" in body and "抖音" not in body


@pytest.mark.parametrize(("channel", "account", "says"), [
    ("alipay", "13800138000", "2 小时内到达您的支付宝账户"),
    ("bank_card", "6222020000001234", "1~3 日内到达您的银行卡"),
])
def test_pay_s04_seed_001_after_an_account_card_says_when_it_arrives(orders, users, pay, channel, account, says):
    """Seed 001 「重试打款成功后补偿金到账(支付宝2小时内,银行卡需1~3日)」."""
    payout = settled(payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"]))
    assert payout.status == "failed"
    payout_card_submit(token=payout.cards.get().token, buyer=users["buyer_invalid"], channel=channel,
                       account=account, name="张三")
    payout = settled(payout)
    assert payout.status == "succeeded"
    assert says in success_notice(payout)


def test_sec_06_station_message_of_a_failed_payout_shows_the_reason_label_not_its_code(orders, users, pay):
    """SEC-06: the shop's station message (站内信) and every inbox copy read 「打款失败(原因:…)」 with the
    failure reason's label, never `buyer_account_invalid`."""
    payout = settled(payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"]))
    assert payout.status == "failed" and payout.failure_reason == "buyer_account_invalid"
    rows = Notification.objects.filter(shop_id=payout.shop_id, channel="station", kind="payout_failed")
    assert rows.count() >= 2  # the shop's record and the main account's inbox
    for body in rows.values_list("body", flat=True):
        assert "buyer_account_invalid" not in body and "买家" in body, body
