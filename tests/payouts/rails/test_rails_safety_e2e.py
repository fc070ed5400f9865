"""Issue 19, done when: against a rail that pays and loses the answer, a rail whose first request never arrives,
a rail that answers 500 after making the bill, and a rail whose buyer confirms at the last moment, every
payout is paid exactly once at the rail and the ledger agrees — end to end over HTTP against the strict fakes,
on PostgreSQL, through continue, the clocks and the close (PAY-S09, PAY-S10, PAY-S11, PAY-S12, PAY-B03/B04)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from accounts.models import LedgerEntry, ShopAccount
from accounts.selectors import ledger_drifts
from core.clocks import run_all
from core.errors import ApplicationError
from payouts.models import Payout, PayoutSubmission
from payouts.rails.common import bill_no
from payouts.rails.models import ShopRail, buyer_openid_set
from payouts.services import payout_continue, payout_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def create(orders, users, pay, django_capture_on_commit_callbacks):
    def make(order_no: str = "DY1001", amount: str = "12.34") -> Payout:
        actor = users["dy_admin" if order_no.startswith("DY") else "pdd_admin"]
        with django_capture_on_commit_callbacks(execute=True):
            payout = payout_create(order=orders[order_no], data=pay(amount), actor=actor)
        payout.refresh_from_db()
        return payout

    return make


def clocks(django_capture_on_commit_callbacks, times: int = 1):
    for _ in range(times):
        with django_capture_on_commit_callbacks(execute=True):
            run_all()


def held_once(payout) -> bool:
    return LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk), kind="payout_hold").count() == 1


def test_pay_s09_wechat_pays_and_the_answer_is_lost_paid_once(rails, create, users, settings,
                                                              django_capture_on_commit_callbacks):
    """PAY-S09: the bill is made and the answer comes after the read timeout: processing under the same key;
    continue answers payout_outcome_unknown; the clock asks the key, finds the bill, and the payout succeeds
    when the rail pays — one bill, one payment."""
    settings.PAYOUT_RAIL_TIMEOUT = (2, 0.5)
    rails.wechat.lose_answers, rails.wechat.answer_delay = 1, 1.0
    payout = create()
    assert payout.status == "processing"
    assert PayoutSubmission.objects.get(payout=payout).state == "unknown"
    number = bill_no(f"PO{payout.pk}-1")
    assert number in rails.wechat.bills
    with pytest.raises(ApplicationError) as info:
        payout_continue(payout=payout, actor=users["dy_admin"])
    assert info.value.code == "payout_outcome_unknown"
    clocks(django_capture_on_commit_callbacks)
    assert PayoutSubmission.objects.get(payout=payout).state == "accepted"
    rails.wechat.advance(number)
    clocks(django_capture_on_commit_callbacks, 2)
    payout.refresh_from_db()
    assert payout.status == "succeeded" and payout.attempt == 1
    assert len(rails.wechat.bills) == 1 and rails.wechat.payments == [(number, 1234)]
    assert held_once(payout) and ledger_drifts() == []


def test_pay_s09_wechat_500_after_the_bill_was_made_paid_once(rails, create, django_capture_on_commit_callbacks):
    """PAY-S09: a 500 SYSTEM_ERROR after the bill was made is an unknown outcome, not a refusal: never a second
    key; the clock finds the bill and the payout follows it."""
    rails.wechat.fail_after_create = 1
    payout = create()
    assert payout.status == "processing"
    number = bill_no(f"PO{payout.pk}-1")
    rails.wechat.advance(number)
    clocks(django_capture_on_commit_callbacks, 3)
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert list(rails.wechat.bills) == [number] and len(rails.wechat.payments) == 1
    assert ledger_drifts() == []


def test_pay_s09_wechat_first_request_never_arrives_then_same_key(rails, create, users,
                                                                   django_capture_on_commit_callbacks):
    """PAY-S01/S09: the first request never reaches the rail (connection refused): pending; continued once the
    rail is reachable, it goes under the same key and is paid once."""
    config = ShopRail.objects.get(shop__key="dy")
    reachable = config.wechat_base_url
    ShopRail.objects.filter(pk=config.pk).update(wechat_base_url="http://127.0.0.1:9")  # nothing listens
    payout = create()
    assert (payout.status, payout.pending_reason) == ("pending", "rail_refused") and rails.wechat.bills == {}
    ShopRail.objects.filter(pk=config.pk).update(wechat_base_url=reachable)
    with django_capture_on_commit_callbacks(execute=True):
        payout_continue(payout=payout, actor=users["dy_admin"])
    number = bill_no(f"PO{payout.pk}-1")
    rails.wechat.advance(number)
    clocks(django_capture_on_commit_callbacks, 2)
    payout.refresh_from_db()
    assert payout.status == "succeeded" and list(rails.wechat.bills) == [number]
    assert len(rails.wechat.payments) == 1 and held_once(payout) and ledger_drifts() == []


def test_pay_b04_s10_buyer_confirms_at_the_last_moment_the_close_finds_it_paid(rails, create,
                                                                               django_capture_on_commit_callbacks):
    """PAY-B04: WAIT_USER_CONFIRM keeps package_info and reads 待买家确认收款; PAY-S10: the buyer confirms just
    before the 7-day close and no callback came: the close asks the rail to cancel, finds the bill paid, and the
    payout succeeds instead of closing — one payment, nothing returned."""
    rails.wechat.confirm_required = True
    payout = create("PDD2001", "5.00")
    number = bill_no(f"PO{payout.pk}-1")
    assert rails.wechat.bills[number]["state"] == "WAIT_USER_CONFIRM"
    payout.refresh_from_db()
    assert payout.waiting_for_buyer and payout.package_info == rails.wechat.bills[number]["package_info"]
    assert payout.confirm_deadline is not None
    rails.wechat.confirm(number)  # at the last moment
    with time_machine.travel(payout.close_at + dt.timedelta(minutes=1), tick=False):
        clocks(django_capture_on_commit_callbacks)
    payout.refresh_from_db()
    assert payout.status == "succeeded" and payout.returned_at is None
    assert rails.wechat.payments == [(number, 500)] and ledger_drifts() == []


def test_pay_s10_an_unconfirmed_bill_is_cancelled_at_the_rail_before_the_money_returns(
        rails, create, django_capture_on_commit_callbacks):
    """PAY-S10: the buyer never confirms: the close cancels the bill at the rail (撤销), the payout closes, and
    its money returns on the working day; a confirmation afterwards cannot pay (the bill is cancelled)."""
    rails.wechat.confirm_required = True
    before = ShopAccount.objects.get(shop__key="pdd").balance
    payout = create("PDD2001", "5.00")
    number = bill_no(f"PO{payout.pk}-1")
    with time_machine.travel(payout.close_at + dt.timedelta(minutes=1), tick=False):
        clocks(django_capture_on_commit_callbacks)
    payout.refresh_from_db()
    assert payout.status == "closed" and rails.wechat.bills[number]["state"] == "CANCELLED"
    assert ("POST", f"/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{number}/cancel") in rails.wechat.requests
    rails.wechat.confirm(number)  # too late: nothing moves
    with time_machine.travel(payout.return_due_at + dt.timedelta(minutes=1), tick=False):
        clocks(django_capture_on_commit_callbacks)
    payout.refresh_from_db()
    assert payout.returned_at is not None and rails.wechat.payments == []
    assert ShopAccount.objects.get(shop__key="pdd").balance == before
    assert ledger_drifts() == []


def test_pay_s11_a_callback_for_a_key_sent_on_another_rail_or_another_amount_is_refused_and_flagged(
        rails, create, deliver):
    """PAY-S11: a genuine WeChat callback whose bill names another amount is refused and flagged; the payout
    does not move."""
    payout = create("PDD2001", "5.00")
    number = bill_no(f"PO{payout.pk}-1")
    rails.wechat.advance(number)
    rails.wechat.bills[number]["transfer_amount"] = 1000  # what the report says was paid: 10.00
    answer = deliver.wechat(payout.shop_id, *rails.wechat.callback(number))
    assert answer.status_code == 400
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.flag_reason == "callback_mismatch"


def test_pay_s12_wechat_minimum_and_real_name_threshold(rails, create, orders, users, pay,
                                                        django_capture_on_commit_callbacks):
    """PAY-S12: below 0.10 → rail_limit before anything is held; from 2,000.00 the buyer's real name is needed
    (rail_limit without it) and goes RSA-OAEP encrypted as user_name, which the rail opens with its key."""
    from accounts.models import PlatformProfile, User

    PlatformProfile.objects.update(min_amount=Decimal("0.01"), order_cap=Decimal("100000"),
                                   shop_daily_cap=Decimal("100000"), shop_daily_balance_cap=Decimal("100000"))
    before = ShopAccount.objects.get(shop__key="pdd").balance
    with pytest.raises(ApplicationError) as info:
        create("PDD2001", "0.05")
    assert info.value.code == "rail_limit"
    assert ShopAccount.objects.get(shop__key="pdd").balance == before
    order = orders["PDD2001"]
    order.__class__.objects.filter(pk=order.pk).update(paid_amount=Decimal("5000.00"))
    ShopAccount.objects.filter(shop__key="pdd").update(balance=Decimal("100000.00"))
    with pytest.raises(ApplicationError) as info:
        create("PDD2001", "2000.00")
    assert info.value.code == "rail_limit" and "2000" in info.value.message
    buyer = User.objects.get(pk=order.buyer_id)
    buyer_openid_set(app_id="wx8888888888888888", buyer_id=buyer.pk, openid=f"oWX_{buyer.username}",
                     real_name="张三")
    payout = create("PDD2001", "2000.00")
    number = bill_no(f"PO{payout.pk}-1")
    assert rails.wechat.bills[number]["user_name_plain"] == "张三"
    assert rails.wechat.bills[number]["user_name"] != "张三"  # encrypted on the wire


def test_pay_s09_alipay_card_retry_500_after_the_order_was_made_paid_once(rails, create, deliver,
                                                                         django_capture_on_commit_callbacks):
    """PAY-S09 on Alipay (the account card's retry, PAY-C02): 20000 SYSTEM_ERROR after the order was made is an
    unknown outcome; the clock asks the same out_biz_no, finds the order, and the payout follows it — one
    payment at Alipay, none at WeChat."""
    from payouts.services import payout_card_submit

    payout = create("PDD2001", "5.00")
    number = bill_no(f"PO{payout.pk}-1")
    rails.wechat.advance(number, "FAIL", "OPENID_INVALID")
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    payout.refresh_from_db()
    card = payout.cards.get(status="sent")
    rails.alipay.fail_after_create = 1
    with django_capture_on_commit_callbacks(execute=True):
        payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="alipay",
                           account="buyer@example.com", name="张三")
    retry = f"PO{payout.pk}-2"
    assert retry in rails.alipay.orders
    assert PayoutSubmission.objects.get(ref=retry).state == "unknown"
    rails.alipay.advance(retry)
    clocks(django_capture_on_commit_callbacks, 2)
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert rails.alipay.payments == [(retry, "5.00")] and rails.wechat.payments == []
    assert list(rails.alipay.orders) == [retry] and ledger_drifts() == []


def test_pay_s12_the_fakes_refuse_below_the_minimum_like_the_rails(rails):
    """The fakes are as strict as the rails: a transfer below 0.10 is refused by WeChat (PARAM_ERROR) and Alipay
    (EXCEED_LIMIT_SM_MIN_AMOUNT), so a product bug that let one through would show in the tests."""
    assert rails.wechat._create({"out_bill_no": "PO1A1", "transfer_amount": 5, "openid": "o", "appid": "wx",
                                 "transfer_scene_id": "1000"})[0] == 400
    assert rails.alipay._transfer({"out_biz_no": "PO1-1", "trans_amount": "0.05", "product_code": "TRANS_ACCOUNT_NO_PWD",
                                   "payee_info": {"identity": "a@example.com"}}, "")["sub_code"] == \
        "EXCEED_LIMIT_SM_MIN_AMOUNT"


def test_pay_s11_the_outside_probes_of_issue_19_move_nothing_on_a_real_rail(rails, create, orders, users, pay):
    """PAY-S11, the two probes of issue 19: (1) a sandbox-signed `failed` callback for a payout of a shop on the
    WeChat rail answers 404 and moves nothing — no account card, so no Alipay retry can pay twice; (2) a
    sub-account calling sandbox/top-ups/{id}/pay/ on a scan payout of that shop answers 404 and the rail pays
    nobody."""
    from rest_framework.test import APIClient

    from tests.payouts.api_support import signed_callback

    payout = create("PDD2001", "5.00")
    client = APIClient()
    answer = signed_callback(client, {"ref": f"PO{payout.pk}-1", "status": "failed", "error_code": "ACCOUNT_INVALID"})
    assert answer.status_code == 404
    payout.refresh_from_db()
    assert payout.status == "processing" and not payout.cards.exists()
    scan = payout_create(order=orders["PDD2011"], data=pay("5.00", pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"])
    client.credentials(HTTP_AUTHORIZATION="Token tok-pdd_cs1")
    answer = client.post(f"/api/v1/sandbox/top-ups/{scan.pk}/pay/", HTTP_IDEMPOTENCY_KEY="probe-top-up")
    assert answer.status_code == 404
    scan.refresh_from_db()
    assert scan.status == "awaiting_top_up"
    assert rails.wechat.payments == [] and rails.alipay.payments == [] and rails.alipay.orders == {}
