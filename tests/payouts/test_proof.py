"""到账凭证 (PAY-R02): a succeeded payout's proof of payment — the rail's transfer id, time and amount re-read from
the rail when asked, with where the buyer finds the money; the API and the payout's admin page."""

import pytest

from core.clocks import run_all
from payouts.models import Payout, PayoutEventType, SandboxTransfer
from payouts.provider import SandboxProvider
from payouts.services import payout_continue, payout_create

pytestmark = pytest.mark.django_db


def succeeded(orders, users, pay, order_no="DY1001", amount="5.00") -> Payout:
    actor = users["dy_admin" if order_no.startswith("DY") else "pdd_admin"]
    payout = payout_create(order=orders[order_no], data=pay(amount), actor=actor)
    if payout.status == "pending":
        payout_continue(payout=payout, actor=actor)
    run_all()
    payout = Payout.objects.get(pk=payout.pk)
    assert payout.status == "succeeded"
    return payout


def proof(api, payout, token="tok-dy_admin"):
    return api(token).get(f"/api/v1/payouts/{payout.pk}/proof/")


def test_pay_r02_proof_of_a_succeeded_payout_is_read_from_the_rail(orders, users, pay, api):
    payout = succeeded(orders, users, pay)
    ref = payout.events.get(type=PayoutEventType.SUCCEEDED).params["ref"]
    booked = SandboxTransfer.objects.get(ref=ref)
    answer = proof(api, payout)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["payout"] == payout.pk and body["order_no"] == "DY1001" and body["rail"] == "sandbox"
    assert body["ref"] == ref and body["transfer_id"] == f"SANDBOX{booked.pk:012d}"
    assert body["amount"] == "5.00" and body["amount_matches"] is True and body["paid_at"]
    assert "抖音钱包" in body["where_to_find"] and body["checked_at"]
    assert body["buyer_text"].startswith("您订单 DY1001 的补偿 5.00 元已于") and body["transfer_id"] in body["buyer_text"]


def test_pay_r02_proof_is_re_read_at_that_moment_not_taken_from_the_records(orders, users, pay, api):
    payout = succeeded(orders, users, pay, "PDD2001")
    ref = payout.events.get(type=PayoutEventType.SUCCEEDED).params["ref"]
    SandboxTransfer.objects.filter(ref=ref).update(amount="4.00")  # what the rail says now
    body = proof(api, payout, "tok-pdd_admin").json()
    assert (body["amount"], body["amount_matches"]) == ("4.00", False)
    assert "即时到账" in body["where_to_find"]
    SandboxTransfer.objects.filter(ref=ref).update(status="failed:REVERSED")
    answer = proof(api, payout, "tok-pdd_admin")
    assert (answer.status_code, answer.json()["code"], answer.json()["rule"]) == (409, "proof_not_confirmed", "PAY-R02")


def test_pay_r02_no_proof_before_success_and_not_for_another_shop(orders, users, pay, api):
    payout = payout_create(order=orders["DY1029"], data=pay("5.00"), actor=users["dy_admin"])  # no_answer wallet
    if payout.status == "pending":
        payout = payout_continue(payout=payout, actor=users["dy_admin"])
    answer = proof(api, payout)
    assert (answer.status_code, answer.json()["code"]) == (409, "payout_not_succeeded")
    done = succeeded(orders, users, pay)
    assert proof(api, done, "tok-pdd_admin").status_code == 404


def test_pay_r02_a_rail_that_cannot_be_asked_answers_503_and_changes_nothing(orders, users, pay, api, monkeypatch):
    payout = succeeded(orders, users, pay)

    def down(self, ref):
        raise TimeoutError("read timed out")

    monkeypatch.setattr(SandboxProvider, "query", down)
    answer = proof(api, payout)
    assert (answer.status_code, answer.json()["code"]) == (503, "rail_unavailable")
    assert Payout.objects.get(pk=payout.pk).status == "succeeded"


def test_pay_r02_admin_page_shows_the_proof_in_words(orders, users, pay, client):
    payout = succeeded(orders, users, pay)
    client.force_login(users["dy_admin"])
    page = client.get(f"/admin/payouts/payout/{payout.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert f"/admin/payouts/payout/{payout.pk}/proof/" in page and "到账凭证" in page
    shown = client.get(f"/admin/payouts/payout/{payout.pk}/proof/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    text = shown.content.decode()
    assert shown.status_code == 200 and 'data-testid="proof-transfer-id"' in text
    assert "SANDBOX" in text and "沙箱通道" in text and "抖音钱包" in text and "5.00" in text
    assert 'data-testid="proof-buyer-text"' in text and "转账成功" in text
    pending = payout_create(order=orders["DY1029"], data=pay("5.00"), actor=users["dy_admin"])
    refused = client.get(f"/admin/payouts/payout/{pending.pk}/proof/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert 'data-testid="proof-refused"' in refused.content.decode() and "到账凭证" in refused.content.decode()
