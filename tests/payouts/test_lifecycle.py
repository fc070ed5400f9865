"""Statuses and money, account cards, approval requests, records and the payout panel (SPEC §4.3–§4.8)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import CalendarDay, LedgerEntry, ShopAccount, User
from accounts.selectors import ledger_drifts
from core.clocks import run_all
from core.errors import ApplicationError
from notifications.models import Notification
from notifications.selectors import notification_list_about
from orders.models import Refund
from payouts.models import Payout, PayoutCard, PayoutRequest
from payouts.provider import ProviderResult
from payouts.selectors import payout_list, payout_panel, payout_requests_visible
from payouts.services import (
    payout_apply_result,
    payout_card_resend,
    payout_card_submit,
    payout_close,
    payout_continue,
    payout_create,
    payout_request_approve,
    payout_request_create,
    payout_request_reject,
    payout_return,
    payout_settle,
    top_up_paid,
)

pytestmark = pytest.mark.django_db


def balance(key: str) -> Decimal:
    return ShopAccount.objects.get(shop__key=key).balance


def fail(payout, code="ACCOUNT_INVALID"):
    return payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", code), source="test")


def succeed(payout):
    return payout_apply_result(payout_id=payout.pk, result=ProviderResult("succeeded"), source="test")


def processing(payout, actor):
    if payout.status == "pending":
        payout = payout_continue(payout=payout, actor=actor)
    return payout


# ---- statuses and money ----------------------------------------------------------------------------


def test_pay_s01_douyin_payout_is_submitted_at_once_and_succeeds_without_a_click(orders, users, pay):
    """PAY-S01 (revised): a Douyin balance payout is processing at once and succeeds with no operator action."""
    before = balance("dy")
    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    assert payout.status == "processing"
    assert balance("dy") == before - Decimal("10.00")
    run_all()
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert [e.type for e in payout.events.all()] == ["created", "submitted", "succeeded"]
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1


def test_pay_s01_s02_rail_busy_payout_is_pending_and_continue_submits_without_second_debit(orders, users, pay,
                                                                                        rail_busy):
    """PAY-S01: pending only when the rail refused the submission; PAY-S02: continue submits it again, never
    debiting again, and continuing a payout that is not pending answers payout_not_pending."""
    before = balance("dy")
    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    payout.refresh_from_db()
    assert payout.status == "pending"
    assert balance("dy") == before - Decimal("10.00")
    payout = payout_continue(payout=payout, actor=users["dy_admin"])
    payout.refresh_from_db()
    assert payout.status == "processing"
    with pytest.raises(ApplicationError) as info:
        payout_continue(payout=payout, actor=users["dy_admin"])
    assert (info.value.code, info.value.error.status) == ("payout_not_pending", 409)
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert [e.type for e in payout.events.all()] == ["created", "submitted", "submission_refused", "continued"]
    run_all()
    payout.refresh_from_db()
    assert payout.status == "succeeded" and balance("dy") == before - Decimal("10.00")
    assert ledger_drifts() == []


def test_pay_s02_douyin_pending_auto_submitted_at_30_minutes_and_settled_in_the_same_sweep(orders, users, pay):
    """PAY-S02: a payout the rail refused (rail_busy) is re-submitted by the clock 30 min after creation."""
    User.objects.filter(pk=orders["DY1001"].buyer_id).update(sandbox_wallet="rail_busy")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        payout = payout_create(order=orders["DY1001"], data=pay(), actor=users["dy_admin"])
    with time_machine.travel(start + dt.timedelta(minutes=29, seconds=59), tick=False):
        run_all()  # the settle sweep finds the submission lost, submits it: refused → pending
        assert Payout.objects.get(pk=payout.pk).status == "pending"
        run_all()
        assert Payout.objects.get(pk=payout.pk).status == "pending"
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert [e.type for e in payout.events.all()] == ["created", "submitted", "submission_refused", "auto_submitted",
                                                     "succeeded"]
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert ledger_drifts() == []


def test_pay_s09_unknown_outcome_stays_processing_under_the_same_key_and_is_asked_first(orders, users, pay,
                                                                                       monkeypatch):
    """PAY-S09: a submission whose outcome is unknown (here the connection breaks after sending) leaves the
    payout processing under the same key — not pending, no new key. Continue answers payout_outcome_unknown;
    the settle sweep asks the rail about that key first; the rail has no such key, so the same key goes
    again, and the buyer is paid once."""
    from payouts.models import PayoutSubmission, SandboxTransfer
    from payouts.provider import SandboxProvider

    original = SandboxProvider.submit

    def broken(self, transfer):
        raise ConnectionError("connection reset after sending")

    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    monkeypatch.setattr(SandboxProvider, "submit", broken)
    run_all()
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.attempt == 1
    assert PayoutSubmission.objects.get(payout=payout).state == "unknown"
    assert payout.events.filter(type="outcome_unknown", params__ref=f"PO{payout.pk}-1").count() == 1
    with pytest.raises(ApplicationError) as info:
        payout_continue(payout=payout, actor=users["dy_admin"])
    assert (info.value.code, info.value.error.status) == ("payout_outcome_unknown", 409)
    monkeypatch.setattr(SandboxProvider, "submit", original)
    run_all()  # asked: NOT_FOUND → the same key again → paid
    payout.refresh_from_db()
    assert payout.status == "succeeded" and payout.attempt == 1
    assert list(SandboxTransfer.objects.filter(payout=payout).values_list("ref", flat=True)) == [f"PO{payout.pk}-1"]
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert ledger_drifts() == []


def test_pay_s09_a_rail_that_pays_and_loses_the_answer_pays_once(orders, users, pay, monkeypatch):
    """PAY-S09, the double payment of issue 19: the rail pays the transfer and the answer is lost (a read
    timeout). Before, the payout went pending and the next submission went out under a new key (PO1-2), paid
    twice. Now the key is asked about first: its success is the payout's, and nothing else goes out."""
    from payouts.models import SandboxTransfer
    from payouts.provider import SandboxProvider

    original = SandboxProvider.submit

    def lost_answer(self, transfer):
        original(self, transfer)  # the rail made and paid the bill …
        raise TimeoutError("read timed out")  # … and its answer never came back

    monkeypatch.setattr(SandboxProvider, "submit", lost_answer)
    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    for _ in range(3):
        run_all()
    with time_machine.travel(payout.created_at + dt.timedelta(minutes=31), tick=False):
        run_all()  # the auto-submit clock's time: before, it sent PO<id>-2 and the buyer was paid twice
        run_all()
    payout.refresh_from_db()
    assert SandboxTransfer.objects.filter(payout=payout, status="succeeded").count() == 1  # paid once at the rail
    assert payout.status == "succeeded"
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert ledger_drifts() == []


def test_pay_s01_refused_for_certain_makes_the_payout_pending_and_the_same_key_goes_again(orders, users, pay,
                                                                                         monkeypatch):
    """PAY-S01: a rail that refused for certain (busy, nothing made) leaves the payout pending (visible, with the
    refusal on its timeline) for the operator or the clock; nothing is resubmitted behind anyone's back; the
    resubmission uses the same key (PAY-S09: nothing exists under it)."""
    from payouts.provider import SandboxProvider, SubmissionRefused

    def busy(self, transfer):
        raise SubmissionRefused("SYSTEM_BUSY")

    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    monkeypatch.setattr(SandboxProvider, "submit", busy)
    run_all()
    payout.refresh_from_db()
    assert payout.status == "pending" and payout.pending_reason == "rail_refused"
    assert payout.events.filter(type="submission_refused", params__error_code="SYSTEM_BUSY").count() == 1
    with time_machine.travel(payout.auto_submit_at, tick=False):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "pending"  # refused again: pending again, once per clock run
    assert payout.events.filter(type="submission_refused").count() == 2
    assert payout.attempt == 1  # the same key throughout
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1


def test_pay_s02_pinduoduo_submits_at_once(orders, users, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    assert payout.status == "processing"
    run_all()
    assert Payout.objects.get(pk=payout.pk).status == "succeeded"


def test_pay_s03_douyin_failure_releases_the_hold_at_once(orders, users, pay):
    before = balance("dy")
    payout = processing(payout_create(order=orders["DY1028"], data=pay("20.00"), actor=users["dy_admin"]),
                        users["dy_admin"])
    run_all()  # the sandbox fails invalid_account wallets
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason, payout.held, payout.counted) == \
        ("failed", "buyer_account_invalid", 0, False)
    assert balance("dy") == before
    kinds = list(LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).values_list("kind", flat=True))
    assert sorted(kinds) == ["hold_release", "payout_hold"]
    assert not payout.cards.exists()  # Douyin has no account card
    assert ledger_drifts() == []


def test_pay_s03_pinduoduo_failure_keeps_the_money_held_and_counted(orders, users, pay):
    before = balance("pdd")
    payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    run_all()
    payout.refresh_from_db()
    assert (payout.status, payout.held, payout.counted) == ("failed", Decimal("20.00"), True)
    assert balance("pdd") == before - Decimal("20.00")


def test_pay_s04_notifications_on_success_and_failure(orders, users, pay):
    ok = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    bad = payout_create(order=orders["PDD2005"], data=pay("5.00"), actor=users["pdd_admin"])
    run_all()
    sent = {(n.about_id, n.channel, n.kind, n.recipient_id is not None) for n in Notification.objects.all()}
    assert (ok.pk, "app", "payout_succeeded", True) in sent and (ok.pk, "wechat", "payout_succeeded", True) in sent
    assert notification_list_about(about=ok).filter(title="商家补偿转账通知").count() == 2
    assert (bad.pk, "app", "payout_failed", True) in sent
    assert (bad.pk, "station", "payout_failed", False) in sent


def test_pay_s05_after_a_douyin_failure_a_new_payout_is_possible_at_once(orders, users, pay, no_interval):
    payout = processing(payout_create(order=orders["DY1026"], data=pay("9.90"), actor=users["dy_admin"]),
                        users["dy_admin"])
    fail(payout, "RISK_REJECTED")
    assert Payout.objects.get(pk=payout.pk).failure_reason == "provider_error"
    assert payout_create(order=orders["DY1026"], data=pay("9.90"), actor=users["dy_admin"]).pk


def test_pay_s05_pinduoduo_failed_payout_counts_until_it_closes(orders, users, pay, no_interval):
    payout = payout_create(order=orders["PDD2015"], data=pay("22.50"), actor=users["pdd_admin"])
    fail(payout)
    with pytest.raises(ApplicationError) as info:
        payout_create(order=orders["PDD2015"], data=pay("1.00"), actor=users["pdd_admin"])
    assert info.value.code == "order_paid_amount_exceeded"
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1)):
        assert payout_close(payout_id=payout.pk)
        assert payout_create(order=orders["PDD2015"], data=pay("22.50"), actor=users["pdd_admin"]).pk


def test_pay_s06_close_at_7_days_and_money_returns_once_on_the_3rd_working_day(orders, users, pay):
    # Created Wednesday 2026-11-25 10:00 Shanghai; closes Wednesday 12-02; 3rd working day after is
    # Monday 12-07 — with Friday 12-04 a holiday it is Tuesday 12-08.
    CalendarDay.objects.create(date=dt.date(2026, 12, 4), kind="holiday", name="test")
    created = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(created, tick=False):
        before = balance("pdd")
        payout = payout_create(order=orders["PDD2006"], data=pay("30.00"), actor=users["pdd_admin"])
        run_all()
    assert Payout.objects.get(pk=payout.pk).status == "processing"  # no_answer wallet
    with time_machine.travel(created + dt.timedelta(days=7) - dt.timedelta(seconds=1), tick=False):
        run_all()
        assert Payout.objects.get(pk=payout.pk).status == "processing"
    with time_machine.travel(created + dt.timedelta(days=7), tick=False):
        run_all()
        run_all()
    payout.refresh_from_db()
    assert payout.status == "closed" and not payout.counted
    assert payout.return_due_at == dt.datetime(2026, 12, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert balance("pdd") == before - Decimal("30.00")
    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        run_all()
        assert balance("pdd") == before - Decimal("30.00")
    with time_machine.travel(dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        run_all()
        run_all()
        assert not payout_return(payout_id=payout.pk)
    payout.refresh_from_db()
    assert balance("pdd") == before and payout.returned_at is not None and payout.held == 0
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk), kind="payout_return").count() == 1
    assert ledger_drifts() == []


def test_pay_s06_success_after_close_is_recorded_and_flagged_not_applied(orders, users, pay):
    payout = payout_create(order=orders["PDD2006"], data=pay("30.00"), actor=users["pdd_admin"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1)):
        assert payout_close(payout_id=payout.pk)
        succeed(payout)
    payout.refresh_from_db()
    assert payout.status == "closed" and payout.flagged
    assert payout.events.filter(type="late_success_flagged").exists()


def test_pay_s07_duplicate_and_out_of_order_results_are_harmless(orders, users, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    succeed(payout)
    succeed(payout)
    fail(payout)  # out of order: failed after succeeded
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert payout.events.filter(type="succeeded").count() == 1
    assert payout.events.filter(type="callback_ignored").count() == 1
    # a result for an earlier attempt's ref is ignored
    other = payout_create(order=orders["PDD2011"], data=pay("5.00"), actor=users["pdd_admin"])
    payout_apply_result(payout_id=other.pk, result=ProviderResult("succeeded"), source="callback", ref="PO0-9")
    assert Payout.objects.get(pk=other.pk).status == "processing"


def test_pay_s07_transient_errors_resubmit_under_the_same_business_key(orders, users, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "SYSTEM_BUSY"), source="test")
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.attempt == 1
    assert payout.events.filter(type="retried").exists()
    payout_settle(payout_id=payout.pk)
    assert Payout.objects.get(pk=payout.pk).status == "succeeded"


def test_pay_s08_refund_after_payout_never_reverses_it(orders, users, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    succeed(payout)
    Refund.objects.create(order=orders["PDD2001"], amount=Decimal("89.00"), status="succeeded", created_at=timezone.now())
    run_all()
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1


# ---- top-ups ---------------------------------------------------------------------------------------


def test_pay_q02_top_up_continued_within_the_hour_then_fails(orders, users, pay):
    from payouts.services import top_up_qr

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        payout = payout_create(order=orders["PDD2001"], data=pay(pay_method="scan", scan_channel="alipay"),
                               actor=users["pdd_admin"])
    with time_machine.travel(start + dt.timedelta(minutes=59), tick=False):
        again = payout_continue(payout=payout, actor=users["pdd_admin"])
        assert again.status == "awaiting_top_up" and top_up_qr(again)["channel"] == "alipay"
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        run_all()
        assert Payout.objects.get(pk=payout.pk).status == "top_up_failed"
        with pytest.raises(ApplicationError) as info:
            payout_continue(payout=payout, actor=users["pdd_admin"])
        assert (info.value.code, info.value.error.status) == ("top_up_window_closed", 409)
        with pytest.raises(ApplicationError):
            top_up_paid(payout=payout, actor=users["pdd_admin"])


def test_pay_q01_paid_top_up_becomes_processing_and_closing_refunds_the_channel(orders, users, pay):
    before = balance("pdd")
    payout = payout_create(order=orders["PDD2006"], data=pay(pay_method="scan", scan_channel="wechat"),
                           actor=users["pdd_admin"])
    top_up_paid(payout=payout, actor=users["pdd_admin"])
    run_all()
    assert Payout.objects.get(pk=payout.pk).status == "processing"  # no_answer wallet
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1)):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "closed" and payout.events.filter(type="refunded_to_channel").exists()
    assert balance("pdd") == before and not LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk))


# ---- account cards ---------------------------------------------------------------------------------


def failed_pdd_payout(orders, users, pay):
    payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    run_all()
    payout.refresh_from_db()
    assert payout.status == "failed"
    return payout


def test_pay_c01_card_sent_automatically_on_buyer_account_failure(orders, users, pay):
    payout = failed_pdd_payout(orders, users, pay)
    card = payout.cards.get()
    assert card.status == "sent" and card.expires_at == card.sent_at + dt.timedelta(hours=72)
    assert notification_list_about(about=payout).filter(channel="chat", kind="account_card").exists()


def test_pay_c01_no_card_for_a_terminal_provider_error(orders, users, pay):
    payout = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    fail(payout, "RISK_REJECTED")
    assert not PayoutCard.objects.filter(payout=payout).exists()


def test_pay_c02_submitted_card_retries_at_once_and_pay_c04_masks_the_account(orders, users, pay):
    payout = failed_pdd_payout(orders, users, pay)
    card = payout.cards.get()
    payout_card_submit(token=card.token, buyer=users["buyer_invalid"], channel="alipay",
                       account="13800138000", name="张三")
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.attempt == 2
    card.refresh_from_db()
    assert card.status == "submitted" and card.account_masked == "138****8000"
    run_all()
    payout.refresh_from_db()
    card.refresh_from_db()
    assert payout.status == "succeeded"
    assert card.account_for_retry == ""  # kept only for the retry
    assert ledger_drifts() == []


def test_pay_c02_seed_001_chat_gets_the_confirmation_and_the_shops_auto_reply(orders, users, pay):
    """PAY-C02, seed 001 「聊天页会自动发送确认信息,以及商家的自动回复」: the chat gets the confirmation, and the
    shop's own auto-reply where its main account set one (empty by default: none)."""
    from accounts.models import Shop

    payout = failed_pdd_payout(orders, users, pay)
    payout_card_submit(token=payout.cards.get().token, buyer=users["buyer_invalid"], channel="alipay",
                       account="13800138000", name="张三")
    chat = notification_list_about(about=payout).filter(channel="chat")
    assert list(chat.exclude(kind="account_card").values_list("kind", flat=True)) == ["card_confirmed"]
    Shop.objects.filter(pk=payout.shop_id).update(chat_auto_reply="亲,已为您重新打款,有问题随时联系我们~")
    fail(Payout.objects.get(pk=payout.pk))
    payout_card_submit(token=payout.cards.filter(status="sent").get().token, buyer=users["buyer_invalid"],
                       channel="alipay", account="13900139000", name="张三")
    latest = list(chat.exclude(kind="account_card").order_by("id").values_list("kind", "recipient_id", "body"))
    assert latest[-2:] == [("card_confirmed", users["buyer_invalid"].pk, latest[-2][2]),
                           ("shop_auto_reply", users["buyer_invalid"].pk, "亲,已为您重新打款,有问题随时联系我们~")]


def test_pay_c02_failed_retry_sends_a_new_card(orders, users, pay):
    payout = failed_pdd_payout(orders, users, pay)
    card = payout.cards.get()
    payout_card_submit(token=card.token, buyer=users["buyer_invalid"], channel="bank_card",
                       account="6222020000000000", name="张三")
    run_all()
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert list(payout.cards.values_list("status", flat=True).order_by("id")) == ["submitted", "sent"]


def test_pay_c03_card_expires_after_72h_resend_expires_the_previous_and_closed_stops_cards(orders, users, pay):
    payout = failed_pdd_payout(orders, users, pay)
    first = payout.cards.get()
    with time_machine.travel(first.expires_at):
        run_all()
        first.refresh_from_db()
        assert first.status == "expired"
        with pytest.raises(ApplicationError) as info:
            payout_card_submit(token=first.token, buyer=users["buyer_invalid"], channel="alipay", account="a@b.cn",
                               name="张")
        assert (info.value.code, info.value.error.status) == ("card_expired", 410)
        second = payout_card_resend(payout=payout, actor=users["pdd_cs2"])
        third = payout_card_resend(payout=payout, actor=users["pdd_admin"])
        second.refresh_from_db()
        assert second.status == "expired" and third.status == "sent"
    with time_machine.travel(payout.close_at):
        run_all()
        third.refresh_from_db()
        assert third.status == "expired"
        with pytest.raises(ApplicationError) as info:
            payout_card_resend(payout=payout, actor=users["pdd_admin"])
        assert info.value.code == "card_not_available"


def test_pay_c03_another_buyer_cannot_use_the_card(orders, users, pay):
    card = failed_pdd_payout(orders, users, pay).cards.get()
    with pytest.raises(ApplicationError) as info:
        payout_card_submit(token=card.token, buyer=users["buyer_ok"], channel="alipay", account="x@y.cn", name="李")
    assert info.value.code == "not_found"


# ---- approval requests -----------------------------------------------------------------------------


def test_pay_a01_request_holds_nothing_and_is_not_counted(orders, users, pay):
    before = balance("dy")
    request = payout_request_create(order=orders["DY1026"], data=pay("9.90"), actor=users["dy_cs2"])
    assert request.status == "pending" and balance("dy") == before
    assert payout_create(order=orders["DY1026"], data=pay("9.90"), actor=users["dy_admin"]).pk


def test_pay_a02_approval_rechecks_rules_not_quota_and_records_both_people(orders, users, pay):
    request = payout_request_create(order=orders["DY1001"], data=pay("120.00"), actor=users["dy_cs1"])
    payout = payout_request_approve(request=request, actor=users["dy_admin"])
    assert (payout.applicant, payout.approved_by, payout.quota_user) == (users["dy_cs1"], users["dy_admin"], None)
    request.refresh_from_db()
    assert request.status == "approved" and request.payout == payout
    with pytest.raises(ApplicationError) as info:
        payout_request_approve(request=request, actor=users["dy_admin"])
    assert (info.value.code, info.value.error.status) == ("request_not_pending", 409)


def test_pay_a02_failed_recheck_answers_the_rule_and_leaves_the_request_pending(orders, users, pay):
    request = payout_request_create(order=orders["DY1026"], data=pay("9.90"), actor=users["dy_cs2"])
    payout_create(order=orders["DY1026"], data=pay("1.00"), actor=users["dy_admin"])
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        with pytest.raises(ApplicationError) as info:
            payout_request_approve(request=request, actor=users["dy_admin"])
    assert info.value.code == "order_paid_amount_exceeded"
    request.refresh_from_db()
    assert request.status == "pending" and request.payout is None


def test_pay_a02_requester_is_not_approver_and_only_main_or_pdd_cs_admin_decides(orders, users, pay):
    request = payout_request_create(order=orders["PDD2011"], data=pay("10.00"), actor=users["pdd_lead"])
    with pytest.raises(ApplicationError) as info:
        payout_request_approve(request=request, actor=users["pdd_lead"])
    assert info.value.code == "request_self_approval"
    with pytest.raises(ApplicationError) as info:
        payout_request_approve(request=request, actor=users["pdd_cs1"])
    assert info.value.code == "request_approver_only"
    other = payout_request_create(order=orders["PDD2012"], data=pay("10.00"), actor=users["pdd_cs2"])
    assert payout_request_approve(request=other, actor=users["pdd_lead"]).approved_by == users["pdd_lead"]
    with pytest.raises(ApplicationError):
        payout_request_approve(request=request, actor=users["dy_admin"])  # another shop


def test_pay_a02_reject_needs_a_reason(orders, users, pay):
    request = payout_request_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_cs2"])
    with pytest.raises(ApplicationError) as info:
        payout_request_reject(request=request, actor=users["dy_admin"], reason=" ")
    assert info.value.code == "reject_reason_required"
    payout_request_reject(request=request, actor=users["dy_admin"], reason="已线下处理")
    request.refresh_from_db()
    assert (request.status, request.reject_reason, request.decided_by) == ("rejected", "已线下处理", users["dy_admin"])


def test_pay_a03_requester_sees_own_requests_main_account_sees_all(orders, users, pay):
    mine = payout_request_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_cs2"])
    theirs = payout_request_create(order=orders["DY1002"], data=pay("10.00"), actor=users["dy_cs1"])
    qs = PayoutRequest.objects.all()
    assert list(payout_requests_visible(qs=qs, user=users["dy_cs2"])) == [mine]
    assert set(payout_requests_visible(qs=qs, user=users["dy_admin"])) == {mine, theirs}


# ---- records and the panel --------------------------------------------------------------------------


def test_pay_r01_filters_by_order_product_applicant_status_and_time(orders, users, pay):
    a = payout_create(order=orders["DY1001"], data=pay(product_id="P-DY1001-1") if orders["DY1001"].items.filter(
        product_id="P-DY1001-1").exists() else pay(), actor=users["dy_admin"])
    b = payout_create(order=orders["DY1002"], data=pay(), actor=users["dy_cs1"])
    qs = Payout.objects.all()
    assert list(payout_list(qs=qs, filters={"order_no": "DY1002"})) == [b]
    assert list(payout_list(qs=qs, filters={"applicant": "dy_admin"})) == [a]
    assert set(payout_list(qs=qs, filters={"status": "processing"})) == {a, b}
    assert list(payout_list(qs=qs, filters={"created_from": timezone.now() + dt.timedelta(minutes=1)})) == []
    item = orders["DY1001"].items.first()
    c = payout_create(order=orders["DY1007"], data=pay(product_id=orders["DY1007"].items.first().product_id),
                      actor=users["dy_admin"])
    assert list(payout_list(qs=qs, filters={"product_id": c.product_id})) == [c]
    assert item is not None


def test_pay_f04_f05_pay_r02_panel_lists_earlier_payouts_refunds_and_headroom(orders, users, pay):
    order = orders["DY1022"]
    payout_create(order=order, data=pay("10.00"), actor=users["dy_cs1"])
    panel = payout_panel(order=order, actor=users["dy_cs1"])
    assert [p.amount for p in panel["previous_payouts"]] == [Decimal("10.00")]
    assert [r.amount for r in panel["platform_shipping_refunds"]] == [Decimal("8.00")]
    assert panel["ineligible"] == ["order_payout_too_frequent"]
    remaining = panel["remaining"]
    assert remaining["order_count"] == 4
    assert remaining["order_amount"] == Decimal("80.00")  # paid 90.00 − 10.00
    assert remaining["shop_daily"] == Decimal("14990.00")
    assert remaining["my_per_payout"] == Decimal("50.00") and remaining["my_daily"] == Decimal("190.00")
    main = payout_panel(order=order, actor=users["dy_admin"])["remaining"]
    assert main["my_per_payout"] is None and main["my_daily"] is None  # none = unlimited


def test_pay_f05_panel_shows_why_the_pinduoduo_balance_cannot_be_used(orders, users, pay):
    panel = payout_panel(order=orders["PDD2003"], actor=users["pdd_cs2"])
    assert not panel["balance_usable"]
    assert set(panel["balance_blocked_reasons"]) == {"scan_only_age", "no_quota"}
    assert payout_panel(order=orders["PDD2001"], actor=users["pdd_admin"])["balance_usable"]


def test_pay_f04_processing_payout_warning(orders, users, pay):
    payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
    assert payout_panel(order=orders["PDD2006"], actor=users["pdd_admin"])["processing_warning"]


def test_pay_l08_douyin_sub_account_without_quota_cannot_continue(orders, users, pay, rail_busy):
    payout = payout_create(order=orders["DY1001"], data=pay(), actor=users["dy_admin"])
    with pytest.raises(ApplicationError) as info:
        payout_continue(payout=payout, actor=users["dy_cs2"])
    assert info.value.code == "no_payout_permission"
    assert Payout.objects.get(pk=payout.pk).status == "pending"
    assert payout_continue(payout=payout, actor=users["dy_cs1"]).status == "processing"


@pytest.mark.parametrize("amount", ["0.99", "1.001", "-5.00"])
def test_pay_a01_pay_l10_request_with_an_unacceptable_amount_is_refused(orders, users, pay, amount):
    with pytest.raises(ApplicationError) as info:
        payout_request_create(order=orders["PDD2001"], data=pay(amount), actor=users["pdd_cs2"])
    assert info.value.code == "invalid_amount"
    assert not PayoutRequest.objects.exists()
