"""Rails safe with real money, on the sandbox rail and rails plugged in at the seam (issue 19): unknown outcomes
(PAY-S09), closing (PAY-S10), callbacks and the sandbox (PAY-S11), the rails' limits (PAY-S12), the outbox
(issue 21.1) and sweeps one bad row cannot stop (issue 22.7). The fake WeChat/Alipay rails' end-to-end cases
are in tests/payouts/rails/."""

import datetime as dt
import json
import threading
import time
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import LedgerEntry, Role, ShopAccount, User
from accounts.selectors import ledger_drifts
from core.clocks import SWEEPS, run_all
from core.errors import ApplicationError
from notifications.models import Notification
from payouts import hooks
from payouts.models import Payout, PayoutSubmission, SandboxTransfer
from payouts.provider import ProviderResult, SandboxProvider, SubmissionRefused, callback_signature
from payouts.services import (
    payout_apply_result,
    payout_buyer_identity_known,
    payout_close,
    payout_close_at_rail,
    payout_continue,
    payout_create,
)
from payouts.sweeps import FAILURES
from tests.payouts.api_support import BODY

pytestmark = pytest.mark.django_db


def balance(key: str) -> Decimal:
    return ShopAccount.objects.get(shop__key=key).balance


def paid_at_rail(payout) -> int:
    return SandboxTransfer.objects.filter(payout=payout, status="succeeded").count()


# ---- PAY-S09: unknown outcomes, success for any key, 重复到账 --------------------------------------------


def test_pay_s09_success_after_a_reported_failure_is_the_payouts_success_douyin_hold_taken_again(
        orders, users, pay):
    """PAY-S09: the rail's last word wins — a success for the key after a failure was reported makes the payout
    succeeded; Douyin had given the money back at the failure, so it leaves the balance again (ledger agrees)."""
    before = balance("dy")
    payout = payout_create(order=orders["DY1029"], data=pay("10.00"), actor=users["dy_admin"])  # no_answer
    ref = f"PO{payout.pk}-1"
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "RISK_REJECTED"), source="callback",
                        ref=ref)
    payout.refresh_from_db()
    assert payout.status == "failed" and balance("dy") == before
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("succeeded"), source="callback", ref=ref)
    payout.refresh_from_db()
    assert payout.status == "succeeded" and payout.held == 0
    assert balance("dy") == before - Decimal("10.00")
    assert ledger_drifts() == []


def test_pay_s09_a_second_key_paid_is_flagged_to_platform_staff_at_once(orders, users, pay):
    """PAY-S09: one payout paid under two keys — an event, a station message to platform staff, 重复到账."""
    payout = payout_create(order=orders["PDD2005"], data=pay("5.00"), actor=users["pdd_admin"])  # invalid wallet
    first = f"PO{payout.pk}-1"
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "ACCOUNT_INVALID"), source="callback",
                        ref=first)
    card = payout.cards.get(status="sent")
    from payouts.services import payout_card_submit

    payout_card_submit(token=card.token, buyer=payout.order.buyer, channel="alipay", account="a@example.com",
                       name="张三")
    second = f"PO{payout.pk}-2"
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("succeeded"), source="callback", ref=second)
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("succeeded"), source="callback", ref=first)
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert (payout.flagged, payout.flag_reason, payout.get_flag_reason_display()) == \
        (True, "duplicate_payment", "重复到账")  # as the staff queue shows it
    assert payout.events.filter(type="duplicate_payment_flagged").count() == 1
    staff = User.objects.filter(role=Role.PLATFORM)
    assert Notification.objects.filter(kind="payout_duplicate_payment", recipient__in=staff).count() == staff.count() > 0
    # the same report again changes nothing more
    payout_apply_result(payout_id=payout.pk, result=ProviderResult("succeeded"), source="callback", ref=first)
    assert payout.events.filter(type="duplicate_payment_flagged").count() == 1


def test_pay_s09_no_new_key_goes_out_while_an_earlier_one_can_still_succeed(orders, users, pay, monkeypatch):
    """PAY-S09: a queued key waits while another key of the payout is still open at the rail (asked first)."""
    from payouts.services import payout_submission_send

    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])  # no_answer
    run_all()
    first = PayoutSubmission.objects.get(payout=payout)
    assert first.state == "accepted"
    later = PayoutSubmission.objects.create(payout=payout, ref=f"PO{payout.pk}-9", rail="sandbox", amount=payout.amount,
                                            state="queued", created_at=first.created_at)
    assert payout_submission_send(submission_id=later.pk) == "queued"
    assert not SandboxTransfer.objects.filter(ref=later.ref).exists()


# ---- PAY-S10: cancel at the rail before closing -----------------------------------------------------------


def test_pay_s10_close_cancels_at_the_rail_first_and_money_returns_only_then(orders, users, pay):
    """PAY-S10: a payout still processing at 7 days is cancelled at the rail; it closes only when the rail
    confirms the cancellation, and its money is due back only then."""
    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])  # no_answer
    run_all()
    with time_machine.travel(payout.close_at + dt.timedelta(minutes=1), tick=False):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "closed" and payout.return_due_at is not None
    assert SandboxTransfer.objects.get(payout=payout).status == "failed:CANCELLED"
    assert PayoutSubmission.objects.get(payout=payout).state == "failed"


def test_pay_s10_a_rail_that_paid_at_the_last_moment_makes_the_payout_succeeded_not_closed(
        orders, users, pay, monkeypatch):
    """PAY-S10: the buyer confirmed at the last moment: the cancel finds the transfer paid → succeeded; no money
    returns, the rail paid once."""
    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
    run_all()
    SandboxTransfer.objects.filter(payout=payout).update(status="succeeded")  # the buyer confirmed just now
    monkeypatch.setattr(SandboxProvider, "query", lambda self, ref: ProviderResult("processing"))  # no callback came
    monkeypatch.setattr(SandboxProvider, "cancel", lambda self, ref: ProviderResult("succeeded"))
    with time_machine.travel(payout.close_at + dt.timedelta(minutes=1), tick=False):
        assert payout_close_at_rail(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == "succeeded" and payout.held == 0 and payout.returned_at is None
    assert paid_at_rail(payout) == 1
    assert ledger_drifts() == []


def test_pay_s10_a_cancel_still_in_progress_keeps_the_payout_open(orders, users, pay, monkeypatch):
    """PAY-S10: CANCELING (or no answer) is not final: the payout is not closed, its money not returned, and the
    next run asks again; a direct payout_close refuses while a key is open."""
    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
    run_all()
    monkeypatch.setattr(SandboxProvider, "cancel", lambda self, ref: ProviderResult("processing", state="CANCELING"))
    with time_machine.travel(payout.close_at + dt.timedelta(minutes=1), tick=False):
        assert not payout_close_at_rail(payout_id=payout.pk)
        assert not payout_close(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.events.filter(type="cancel_requested").count() == 1


# ---- PAY-S11: callbacks and the sandbox -------------------------------------------------------------------


def _gateway(client, payload: dict):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    return client.post("/api/v1/gateway/callback/", data=body, content_type="application/json",
                       HTTP_X_TIMESTAMP=ts, HTTP_X_SIGNATURE=callback_signature(timestamp=ts, body=body))


def test_pay_s11_gateway_callback_for_a_key_never_sent_or_another_amount_is_refused_and_flagged(orders, users, pay):
    """PAY-S11: a report about a key the payout was never sent under, or with another amount, is refused and
    flagged; the payout does not move."""
    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
    client = APIClient()
    answer = _gateway(client, {"ref": f"PO{payout.pk}-7", "status": "failed", "error_code": "ACCOUNT_INVALID"})
    assert answer.status_code == 409 and answer.json()["code"] == "callback_mismatch"
    payout.refresh_from_db()
    assert payout.status == "processing" and payout.flag_reason == "callback_mismatch"
    answer = _gateway(client, {"ref": f"PO{payout.pk}-1", "status": "succeeded", "amount": "10.00"})
    assert answer.status_code == 409 and answer.json()["code"] == "callback_mismatch"
    payout.refresh_from_db()
    assert payout.status == "processing"


def test_pay_s11_the_sandbox_never_moves_a_payout_of_a_shop_on_a_real_rail_and_is_off_when_turned_off(
        orders, users, pay, settings, monkeypatch):
    """PAY-S11: the sandbox callback and top-up page answer 404 for a shop on a real rail, and for every shop
    when the deployment has the sandbox off (PAYOUT_SANDBOX_ENABLED, off in production settings)."""
    from payouts import provider as provider_module

    payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
    client = APIClient()
    settings.PAYOUT_SANDBOX_ENABLED = False
    assert _gateway(client, {"ref": f"PO{payout.pk}-1", "status": "succeeded"}).status_code == 404
    settings.PAYOUT_SANDBOX_ENABLED = True
    monkeypatch.setattr(provider_module, "SHOP_PROVIDERS",
                        [lambda shop_id, shop=None: object() if shop_id == payout.shop_id else None])
    assert _gateway(client, {"ref": f"PO{payout.pk}-1", "status": "succeeded"}).status_code == 404
    scan = payout_create(order=orders["PDD2011"], data=pay("5.00", pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"])
    client.credentials(HTTP_AUTHORIZATION="Token tok-pdd_admin")
    answer = client.post(f"/api/v1/sandbox/top-ups/{scan.pk}/pay/", HTTP_IDEMPOTENCY_KEY="s11-top-up")
    assert answer.status_code == 404
    payout.refresh_from_db()
    scan.refresh_from_db()
    assert (payout.status, scan.status) == ("processing", "awaiting_top_up")


def test_pay_s11_production_settings_turn_the_sandbox_off_by_default():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config" / "settings" / "production.py").read_text()
    assert 'PAYOUT_SANDBOX_ENABLED = env.bool("PAYOUT_SANDBOX_ENABLED", default=False)' in text


# ---- PAY-S12 / PAY-B03 at the seam ------------------------------------------------------------------------


class WechatLikeRail(SandboxProvider):
    """A rail plugged at the seam that pays openids (PAY-B03) and has WeChat's limits (PAY-S12)."""

    rail_name = "wechat"
    openids: dict = {}

    def payee(self, buyer_id, amount):
        from payouts.provider import Payee

        openid = self.openids.get(buyer_id, "")
        return Payee(identity=openid, rail="wechat", identity_needed=not openid)

    def limit(self, amount, payee):
        return "the rail pays at least 0.10 yuan" if amount < Decimal("0.10") else ""


@pytest.fixture
def wechat_like(settings):
    settings.PAYOUT_PROVIDER = "tests.payouts.test_rail_safety.WechatLikeRail"
    WechatLikeRail.openids = {}
    return WechatLikeRail


def test_pay_s12_rail_minimum_is_refused_with_rail_limit_before_anything_is_held(orders, users, pay, wechat_like):
    from accounts.models import PlatformProfile

    PlatformProfile.objects.update(min_amount=Decimal("0.01"))
    before = balance("dy")
    with pytest.raises(ApplicationError) as info:
        payout_create(order=orders["DY1001"], data=pay("0.05"), actor=users["dy_admin"])
    assert info.value.code == "rail_limit" and "0.10" in info.value.message
    assert balance("dy") == before and not Payout.objects.filter(order=orders["DY1001"]).exists()


def test_pay_b03_wechat_payout_for_a_buyer_without_openid_is_pending_and_the_hook_fires_after_commit(
        orders, users, pay, wechat_like, django_capture_on_commit_callbacks):
    """PAY-B03: pending with buyer_identity_needed (held, not sent); the buyer pages' hook fires after the
    commit; once the openid is known the payout is submitted to that openid."""
    seen = []
    hooks.on(hooks.BUYER_IDENTITY_NEEDED)(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    finally:
        hooks._LISTENERS[hooks.BUYER_IDENTITY_NEEDED].remove(seen.append)
    payout.refresh_from_db()
    assert (payout.status, payout.pending_reason, payout.held) == ("pending", "buyer_identity_needed", Decimal("10.00"))
    assert [p.pk for p in seen] == [payout.pk] and not PayoutSubmission.objects.filter(payout=payout).exists()
    run_all()  # the auto-submit clock does not send it to nobody
    assert Payout.objects.get(pk=payout.pk).status == "pending"
    with pytest.raises(ApplicationError) as info:
        payout_continue(payout=payout, actor=users["dy_admin"])
    assert info.value.code == "rail_limit"
    wechat_like.openids[payout.order.buyer_id] = "oWX_buyer"
    with django_capture_on_commit_callbacks(execute=True):
        assert payout_buyer_identity_known(payout_id=payout.pk)
    submission = PayoutSubmission.objects.get(payout=payout)
    assert submission.transfer["buyer"] == "oWX_buyer" and submission.rail == "wechat"
    run_all()
    assert Payout.objects.get(pk=payout.pk).status == "succeeded"
    assert ledger_drifts() == []


def test_pay_b04_waiting_for_the_buyer_keeps_the_package_and_reads_as_waiting(orders, users, pay, monkeypatch,
                                                                              django_capture_on_commit_callbacks):
    """PAY-B04: WAIT_USER_CONFIRM keeps package_info and the deadline; the payout reads 待买家确认收款 (its
    label) and the buyer pages' hook fires once."""
    from django.utils import translation

    deadline = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(SandboxProvider, "query", lambda self, ref: ProviderResult(
        "processing", state="WAIT_USER_CONFIRM", package_info="pkg-123", confirm_deadline=deadline))
    seen = []
    hooks.on(hooks.WAITING_FOR_BUYER)(seen.append)
    try:
        payout = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])
        with django_capture_on_commit_callbacks(execute=True):
            run_all()
            run_all()
    finally:
        hooks._LISTENERS[hooks.WAITING_FOR_BUYER].remove(seen.append)
    payout.refresh_from_db()
    assert (payout.status, payout.package_info, payout.confirm_deadline) == ("processing", "pkg-123", deadline)
    assert payout.waiting_for_buyer and payout.deadline == deadline
    with translation.override("zh-hans"):
        assert payout.status_label == "待买家确认收款"
    assert [p.pk for p in seen] == [payout.pk]


# ---- issue 21.1: the outbox; the request never waits on a remote rail --------------------------------------


class SlowRemoteRail:
    """A remote rail that takes 10 s to answer a submission (released early by the test)."""

    release = threading.Event()
    submitted: list = []

    def submit(self, transfer):
        self.release.wait(10)
        self.submitted.append(transfer.ref)

    def query(self, ref):
        return ProviderResult("succeeded" if ref in self.submitted else "processing")

    def cancel(self, ref):
        return self.query(ref)


@pytest.mark.django_db(transaction=True)
def test_issue21_a_rail_taking_10s_does_not_slow_post_payouts(demo, settings):
    """Issue 21.1: POST /payouts/ records the submission (the outbox) and answers `processing` at once — within
    100 ms while the worker waits 10 s on the rail; the worker (here its task body in a thread) then sends it,
    and the settle sweep is the recovery path without a broker."""
    from payouts.services import SUBMIT_TASK, payout_submission_deliver

    settings.PAYOUT_PROVIDER = "tests.payouts.test_rail_safety.SlowRemoteRail"
    SlowRemoteRail.release.clear()
    SlowRemoteRail.submitted = []
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token tok-dy_admin")
    client.get("/api/v1/shop/balance/")  # warm up: the token's last use, the URL resolver
    sent = []
    import payouts.services as services

    original = services._enqueue
    services._enqueue = lambda name, args: sent.append((name, args))  # the broker: the worker takes it below
    try:
        started = time.monotonic()
        response = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="slow-rail-1")
        took = time.monotonic() - started
    finally:
        services._enqueue = original
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "processing"
    assert took < 0.1, f"POST /payouts/ took {took * 1000:.0f} ms"
    payout_id = response.json()["id"]
    submission = PayoutSubmission.objects.get(payout_id=payout_id)
    assert submission.state == "queued" and sent == [(SUBMIT_TASK, (submission.pk,))]
    def work():
        from django.db import connection

        try:
            payout_submission_deliver(submission_id=submission.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    time.sleep(0.2)
    assert worker.is_alive()  # the worker waits on the rail, nobody else does
    SlowRemoteRail.release.set()
    worker.join(5)
    assert Payout.objects.get(pk=payout_id).status == "succeeded"
    assert SlowRemoteRail.submitted == [submission.ref]


def test_issue21_without_a_broker_the_settle_sweep_sends_the_queued_submission(orders, users, pay, settings):
    """Issue 21.1: the transaction recorded the submission; nothing sent it (no broker, a crash): the settle sweep
    sends it under its key."""
    settings.PAYOUT_PROVIDER = "tests.payouts.test_rail_safety.SlowRemoteRail"
    SlowRemoteRail.release.set()
    SlowRemoteRail.submitted = []
    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    assert PayoutSubmission.objects.get(payout=payout).state == "queued"
    run_all()
    assert SlowRemoteRail.submitted == [f"PO{payout.pk}-1"]
    assert Payout.objects.get(pk=payout.pk).status == "succeeded"


# ---- issue 22.7: one bad row never stops a sweep ------------------------------------------------------------


def test_issue22_7_a_row_that_raises_is_logged_and_the_other_rows_still_move(orders, users, pay, monkeypatch):
    """Issue 22.7: the settle sweep walks oldest first; a planted row whose service raises is logged and
    counted, and the rows after it still settle; run_all goes on after a sweep that raises."""
    import payouts.sweeps as sweeps

    bad = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    good = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    original = sweeps.payout_settle

    def planted(*, payout_id, **kw):
        if payout_id == bad.pk:
            raise RuntimeError("a planted bad row")
        return original(payout_id=payout_id, **kw)

    monkeypatch.setattr(sweeps, "payout_settle", planted)

    def broken_sweep():
        raise RuntimeError("a planted bad sweep")

    monkeypatch.setitem(SWEEPS, "aaa_broken", broken_sweep)
    moved = run_all()
    assert moved["aaa_broken"] == -1 and FAILURES["payouts_settle"] == 1
    assert Payout.objects.get(pk=good.pk).status == "succeeded"
    assert Payout.objects.get(pk=bad.pk).status == "processing"
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(good.pk)).count() == 1


def test_pay_s09_submission_refused_exception_at_the_seam_is_pending(orders, users, pay, settings):
    """PAY-S01 at the seam: a plugged rail raising the refused exception leaves the payout pending."""
    settings.PAYOUT_PROVIDER = "tests.payouts.test_rail_safety.RefusingRail"
    payout = payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"])
    run_all()
    payout.refresh_from_db()
    assert payout.status == "pending" and PayoutSubmission.objects.get(payout=payout).state == "refused"
    with transaction.atomic():
        pass


class RefusingRail(SlowRemoteRail):
    def submit(self, transfer):
        raise SubmissionRefused("SYSTEM_BUSY")


# ---- reconciliation (对账, issue 19.9) -----------------------------------------------------------------------


def test_reconciliation_flags_a_paid_bill_without_a_succeeded_payout_and_two_paid_bills(orders, users, pay):
    """Issue 19.9: the day's comparison of the submission book with the payouts — a paid bill whose payout did
    not succeed, and two paid bills for one payout, are flagged to platform staff with the bills named; the
    comparison is printed and kept."""
    from io import StringIO

    from django.core.management import call_command

    from payouts.rails.models import RailReconciliation
    from payouts.rails.reconcile import reconcile_rails

    clean = payout_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_admin"])
    run_all()
    assert Payout.objects.get(pk=clean.pk).status == "succeeded"
    record = reconcile_rails()
    assert record.problems == [] and record.paid >= 1
    stuck = payout_create(order=orders["PDD2006"], data=pay("5.00"), actor=users["pdd_admin"])  # no_answer
    run_all()
    # the rail paid the bill, its answer never reached the product's book (the book still says accepted)
    PayoutSubmission.objects.filter(payout=clean).update(state="succeeded")
    PayoutSubmission.objects.create(payout=clean, ref=f"PO{clean.pk}-2", rail="sandbox", amount=clean.amount,
                                    state="succeeded", created_at=clean.created_at)
    Payout.objects.filter(pk=stuck.pk).update(status="closed")
    PayoutSubmission.objects.filter(payout=stuck).update(state="succeeded")
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_rails", stdout=out)
    # today's row (in the first hour of a Shanghai day the clock in run_all() also keeps yesterday's)
    problems = {(p["payout"], p["problem"]) for p in RailReconciliation.objects.get(day=record.day).problems}
    assert problems == {(clean.pk, "paid_twice"), (stuck.pk, "paid_without_success")}
    assert f"PO{clean.pk}-1, PO{clean.pk}-2" in out.getvalue() and f"PO{stuck.pk}-1" in out.getvalue()
    assert Payout.objects.get(pk=clean.pk).flag_reason == "duplicate_payment"
    assert Payout.objects.get(pk=stuck.pk).flagged
    kinds = set(Notification.objects.filter(recipient__role=Role.PLATFORM).values_list("kind", flat=True))
    assert {"payout_duplicate_payment", "payout_unreconciled"} <= kinds
    before = Notification.objects.count()
    reconcile_rails()  # the next hour: kept, not flagged again
    assert Notification.objects.count() == before


def test_pay_b03_a_topped_up_scan_payout_for_a_buyer_without_openid_waits_pending(orders, users, pay, wechat_like):
    """PAY-B03: a scan payout topped up for a WeChat buyer with no openid is pending (buyer_identity_needed),
    not sent to nobody; it goes once the openid is known."""
    from payouts.services import top_up_paid

    scan = payout_create(order=orders["PDD2011"], data=pay("5.00", pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"])
    assert scan.status == "awaiting_top_up"
    top_up_paid(payout=scan, actor=users["pdd_admin"])
    scan.refresh_from_db()
    assert (scan.status, scan.pending_reason) == ("pending", "buyer_identity_needed")
    assert not PayoutSubmission.objects.filter(payout=scan).exists()
    wechat_like.openids[scan.order.buyer_id] = "oWX_scan"
    assert payout_buyer_identity_known(payout_id=scan.pk)
    assert PayoutSubmission.objects.get(payout=scan).transfer["buyer"] == "oWX_scan"
