"""End to end against the fake rails (issue 15): the real WeChat Pay and Alipay adapters over HTTP, callbacks
through the product's endpoints, the settle sweep as the recovery path; the ledger verified after each
(PAY-S01, PAY-S03, PAY-S07, PAY-C01, PAY-C02)."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from payouts.models import Payout, PayoutCard
from payouts.provider import Transfer, classify, provider_for
from payouts.rails.common import bill_no
from payouts.rails.models import RailBill
from payouts.services import payout_card_submit, payout_continue, payout_create
from payouts.sweeps import payouts_settle_sweep
from tests.payouts.rails.conftest import openid_of, ref

pytestmark = pytest.mark.django_db


def status(payout: Payout) -> str:
    payout.refresh_from_db()
    return payout.status


def test_pay_s03_wechat_create_callback_succeeded_in_fen_and_once(rails, start, deliver):
    """PAY-S03/S07: create → bill in fen under out_bill_no → signed callback → succeeded; a duplicate changes nothing."""
    payout = start(amount="12.34")
    number = bill_no(ref(payout))
    bill = rails.wechat.bills[number]
    assert bill["transfer_amount"] == 1234 and bill["state"] == "ACCEPTED"
    assert bill["openid"] == openid_of(payout.order.buyer.username)  # PAY-B03: the openid under the app
    assert RailBill.objects.get(ref=ref(payout)).rail == "wechat"
    rails.wechat.advance(number)
    headers, body = rails.wechat.callback(number)
    assert deliver.wechat(payout.shop_id, headers, body).status_code == 204
    assert status(payout) == "succeeded"
    headers, body = rails.wechat.callback(number)  # WeChat sends it again
    assert deliver.wechat(payout.shop_id, headers, body).status_code == 204
    assert status(payout) == "succeeded"
    assert [e.type for e in payout.events.all()].count("succeeded") == 1
    assert rails.wechat.payments == [(number, 1234)]
    assert ledger_drifts() == []


def test_pay_s07_forged_stale_and_replayed_wechat_callbacks_are_refused(rails, start, deliver):
    """PAY-S07: a callback signed by another key, an old one, or the same one twice is refused."""
    payout = start()
    number = bill_no(ref(payout))
    rails.wechat.advance(number)
    forged = rails.wechat.callback(number, forged=True)
    assert deliver.wechat(payout.shop_id, *forged).status_code == 401
    stale = rails.wechat.callback(number, stale=True)
    assert deliver.wechat(payout.shop_id, *stale).status_code == 401
    huge_headers, huge_body = rails.wechat.callback(number)  # SEC-04: a 400-digit timestamp is refused, not a 500
    assert deliver.wechat(payout.shop_id, {**huge_headers, "Wechatpay-Timestamp": "9" * 400}, huge_body).status_code == 401
    assert status(payout) == "processing"
    genuine = rails.wechat.callback(number)
    assert deliver.wechat(payout.shop_id, *genuine).status_code == 204
    assert deliver.wechat(payout.shop_id, *genuine).status_code == 401  # the very same request again
    tampered_headers, body = rails.wechat.callback(number)
    assert deliver.wechat(payout.shop_id, tampered_headers, body.replace(b"MCHTRANSFER", b"MCHTRANSFEX")).status_code == 401
    assert status(payout) == "succeeded"
    assert ledger_drifts() == []


def test_pay_s03_lost_wechat_callback_is_recovered_by_the_settle_sweep(rails, start):
    """PAY-S03: the rail paid but no callback came; the settle sweep's query finds it."""
    payout = start()
    payouts_settle_sweep()
    assert status(payout) == "processing"  # ACCEPTED at the rail
    rails.wechat.advance(bill_no(ref(payout)))
    payouts_settle_sweep()
    assert status(payout) == "succeeded"
    assert len(rails.wechat.payments) == 1
    assert ledger_drifts() == []


def test_pay_s07_out_of_order_wechat_callback_is_ignored(rails, start, deliver):
    """PAY-S07: a FAIL snapshot arriving after the success is recorded and ignored."""
    payout = start()
    number = bill_no(ref(payout))
    rails.wechat.advance(number)
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    late = rails.wechat.callback(number, state="FAIL", fail_reason="ACCOUNT_FROZEN")
    assert deliver.wechat(payout.shop_id, *late).status_code == 204
    assert status(payout) == "succeeded"
    assert payout.events.filter(type="callback_ignored").exists()
    assert ledger_drifts() == []


def test_pay_s01_s03_transient_rail_trouble_leaves_the_payout_pending_until_the_rail_takes_it(
        rails, orders, users, pay, django_capture_on_commit_callbacks):
    """PAY-S01 (revised): the rail refused the submission for certain (429, no bill): the payout is pending, not
    resubmitted in a silent loop; continued while the rail still refuses it stays pending; continued when the
    rail takes it, it is submitted under the same key, settles and pays once. The hold is taken once."""
    rails.wechat.rate_limited = 2
    order, actor = orders["DY1001"], users["dy_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_create(order=order, data=pay("12.34"), actor=actor)
    assert status(payout) == "pending" and rails.wechat.bills == {}
    with django_capture_on_commit_callbacks(execute=True):
        payout_continue(payout=payout, actor=actor)
    assert status(payout) == "pending" and rails.wechat.bills == {}
    with django_capture_on_commit_callbacks(execute=True):
        payout_continue(payout=payout, actor=actor)
    number = bill_no(ref(payout))
    assert number in rails.wechat.bills and status(payout) == "processing" and number.endswith("A1")  # same key
    rails.wechat.advance(number)
    payouts_settle_sweep()
    assert status(payout) == "succeeded"
    assert rails.wechat.payments == [(number, 1234)]
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=payout.pk, kind="payout_hold").count() == 1
    assert ledger_drifts() == []


def test_resubmission_under_the_same_out_bill_no_never_pays_twice(rails, start):
    """The rail de-duplicates by business key: submitting again (before or after success) pays once."""
    payout = start()
    provider = provider_for(payout.shop_id)
    transfer = Transfer(ref=ref(payout), payout_id=payout.pk, amount=payout.amount,
                        buyer=openid_of(payout.order.buyer.username))
    provider.submit(transfer)
    rails.wechat.advance(bill_no(transfer.ref))
    provider.submit(transfer)
    provider.submit(transfer)
    assert len(rails.wechat.bills) == 1 and len(rails.wechat.payments) == 1
    payouts_settle_sweep()
    assert status(payout) == "succeeded"
    assert RailBill.objects.filter(payout=payout).count() == 1
    assert ledger_drifts() == []


def test_pay_s03_terminal_wechat_failure_fails_without_card(rails, start, deliver):
    """PAY-S03/C01: TRANSFER_RISK is terminal: failed (provider error), no account card."""
    payout = start("PDD2001", "5.00")
    number = bill_no(ref(payout))
    rails.wechat.advance(number, "FAIL", "TRANSFER_RISK")
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "provider_error")
    assert not PayoutCard.objects.filter(payout=payout).exists()
    assert ledger_drifts() == []


def test_pay_c01_c02_buyer_fixable_wechat_failure_then_card_retry_pays_by_alipay(
        rails, start, deliver, users, django_capture_on_commit_callbacks):
    """PAY-C01: OPENID_INVALID is buyer-fixable → failed + account card; PAY-C02: the buyer's Alipay account
    is paid by 单笔转账 under the new attempt's key, confirmed by Alipay's signed notification."""
    payout = start("PDD2001", "5.00")
    number = bill_no(ref(payout))
    rails.wechat.advance(number, "FAIL", "OPENID_INVALID")
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "buyer_account_invalid")
    card = payout.cards.get(status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="alipay",
                           account="buyer@example.com", name="张三")
    retry = ref(payout)
    assert retry.endswith("-2")
    order = rails.alipay.orders[retry]
    assert order["trans_amount"] == "5.00" and order["product_code"] == "TRANS_ACCOUNT_NO_PWD"
    assert order["payee"] == {"identity": "buyer@example.com", "identity_type": "ALIPAY_LOGON_ID", "name": "张三"}
    rails.alipay.advance(retry)
    forged = rails.alipay.notification(retry, forged=True)
    assert deliver.alipay(payout.shop_id, forged).status_code == 401
    genuine = rails.alipay.notification(retry)
    answer = deliver.alipay(payout.shop_id, genuine)
    assert (answer.status_code, answer.content) == (200, b"success")
    assert status(payout) == "succeeded"
    assert deliver.alipay(payout.shop_id, genuine).status_code == 401  # replayed notify_id
    assert rails.alipay.payments == [(retry, "5.00")] and rails.wechat.payments == []
    card.refresh_from_db()
    assert card.account_for_retry == ""  # PAY-C04
    assert ledger_drifts() == []


def test_pay_c02_alipay_refusal_and_lost_notification(rails, start, deliver, users, django_capture_on_commit_callbacks):
    """PAY-C02: Alipay refuses a payee at once (PAYEE_NOT_EXIST, no order): the settle sweep reports it
    buyer-fixable → a new card; the next retry's notification is lost and the sweep's query finds the success."""
    payout = start("PDD2001", "5.00")
    number = bill_no(ref(payout))
    rails.wechat.advance(number, "FAIL", "ACCOUNT_FROZEN")
    payouts_settle_sweep()
    payout.refresh_from_db()
    assert payout.status == "failed"
    rails.alipay.refusals["nobody@example.com"] = "PAYEE_NOT_EXIST"
    card = payout.cards.get(status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="alipay",
                           account="nobody@example.com", name="张三")
    assert RailBill.objects.get(ref=ref(payout)).state == "REJECTED"
    with django_capture_on_commit_callbacks(execute=True):
        payouts_settle_sweep()
    payout.refresh_from_db()
    assert payout.status == "failed" and payout.failure_reason == "buyer_account_invalid"
    assert payout.events.filter(type="failed", params__error_code="ALIPAY_PAYEE_NOT_EXIST").exists()
    card = payout.cards.get(status="sent")  # a new card
    with django_capture_on_commit_callbacks(execute=True):
        payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="bank_card",
                           account="6222020000001234", name="张三")
    retry = ref(payout)
    assert rails.alipay.orders[retry]["product_code"] == "TRANS_BANKCARD_NO_PWD"
    rails.alipay.advance(retry)  # paid, the notification never arrives
    payouts_settle_sweep()
    assert status(payout) == "succeeded"
    assert rails.alipay.payments == [(retry, "5.00")]
    assert ledger_drifts() == []


def test_pay_s03_douyin_wechat_failure_releases_the_hold(rails, start, deliver):
    """PAY-S03: Douyin, a buyer-fixable WeChat failure → failed and the hold comes back at once."""
    from accounts.models import ShopAccount

    payout = start("DY1001", "10.00")
    before = ShopAccount.objects.get(shop_id=payout.shop_id).balance
    number = bill_no(ref(payout))
    rails.wechat.advance(number, "FAIL", "NAME_NOT_CORRECT")
    assert deliver.wechat(payout.shop_id, *rails.wechat.callback(number)).status_code == 204
    payout.refresh_from_db()
    assert payout.status == "failed" and payout.held == 0
    assert ShopAccount.objects.get(shop_id=payout.shop_id).balance == before + Decimal("10.00")
    assert ledger_drifts() == []


def test_every_wechat_state_and_reason_maps_onto_the_taxonomy():
    """Every transfer state has a payout status; every documented reason a class (unknown ones terminal)."""
    from payouts.provider import ErrorClass
    from payouts.rails import taxonomy
    from payouts.rails.wechat import STATES, bill_result

    assert set(STATES) == {"ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM", "TRANSFERING", "SUCCESS", "FAIL",
                           "CANCELING", "CANCELLED"}
    assert bill_result({"state": "WAIT_USER_CONFIRM"}).status == "processing"
    assert bill_result({"state": "CANCELLED"}).error_code == "WECHAT_CANCELLED"
    assert classify("WECHAT_CANCELLED") is ErrorClass.TERMINAL
    for reason in taxonomy.WECHAT_BUYER_FIXABLE:
        assert classify(bill_result({"state": "FAIL", "fail_reason": reason}).error_code) is ErrorClass.BUYER_FIXABLE
    for reason in taxonomy.WECHAT_TERMINAL:
        assert classify(f"WECHAT_{reason}") is ErrorClass.TERMINAL
    assert classify("WECHAT_SOMETHING_NEW") is ErrorClass.TERMINAL
    assert classify("ALIPAY_PAYEE_USER_INFO_ERROR") is ErrorClass.BUYER_FIXABLE
