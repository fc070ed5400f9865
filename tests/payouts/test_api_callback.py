"""gateway/callback/ (PAY-S07): authenticated by an HMAC over "<timestamp>.<body>", idempotent, harmless
when duplicated or out of order."""

import json

import pytest

from accounts.selectors import ledger_drifts
from core.clock import now
from notifications.models import Notification
from payouts.models import Payout, PayoutEvent
from payouts.provider import callback_signature
from tests.payouts.api_support import PDD_BODY, balance, create, error_of, signed_callback, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def processing(demo, api) -> dict:
    """A Pinduoduo payout, submitted at once: processing, attempt 1."""
    body = create(api("tok-pdd_admin"), **PDD_BODY)
    assert body["status"] == "processing"
    return body


def _events(payout_id: int) -> list[str]:
    return list(PayoutEvent.objects.filter(payout_id=payout_id).order_by("at", "id").values_list("type", flat=True))


def test_pay_s07_signed_success_is_applied(processing, api):
    response = signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "succeeded"})
    assert response.status_code == 200, response.json()
    assert response.json() == {"ref": f"PO{processing['id']}-1", "payout_status": "succeeded"}
    payout = Payout.objects.get()
    assert payout.status == "succeeded" and payout.held == 0
    assert _events(payout.pk)[-1] == "succeeded"
    assert PayoutEvent.objects.get(payout=payout, type="succeeded").params["source"] == "callback"
    assert ledger_drifts() == []


def test_pay_s07_unsigned_callback_is_401_and_changes_nothing(processing, api):
    before = snapshot()
    body = json.dumps({"ref": f"PO{processing['id']}-1", "status": "succeeded"})
    error_of(api().post("/api/v1/gateway/callback/", body, content_type="application/json"), 401,
             "callback_signature_invalid", "PAY-S07")
    error_of(api().post("/api/v1/gateway/callback/", body, content_type="application/json",
                        HTTP_X_TIMESTAMP=str(int(now().timestamp()))), 401, "callback_signature_invalid", "PAY-S07")
    assert snapshot() == before


def test_pay_s07_forged_signature_is_401(processing, api):
    before = snapshot()
    error_of(signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "succeeded"}, secret_ok=False),
             401, "callback_signature_invalid", "PAY-S07")
    # signed for one body, sent with another
    ts = str(int(now().timestamp()))
    signed = json.dumps({"ref": f"PO{processing['id']}-1", "status": "failed", "error_code": "RISK_REJECTED"}).encode()
    sent = json.dumps({"ref": f"PO{processing['id']}-1", "status": "succeeded"}).encode()
    error_of(api().post("/api/v1/gateway/callback/", sent, content_type="application/json", HTTP_X_TIMESTAMP=ts,
                        HTTP_X_SIGNATURE=callback_signature(timestamp=ts, body=signed)),
             401, "callback_signature_invalid", "PAY-S07")
    # a timestamp that is not a number
    error_of(api().post("/api/v1/gateway/callback/", sent, content_type="application/json", HTTP_X_TIMESTAMP="abc",
                        HTTP_X_SIGNATURE=callback_signature(timestamp="abc", body=sent)),
             401, "callback_signature_invalid", "PAY-S07")
    assert snapshot() == before


def test_pay_s07_callback_signed_with_another_secret_is_401(processing, api, settings):
    payload = {"ref": f"PO{processing['id']}-1", "status": "succeeded"}
    ts = str(int(now().timestamp()))
    body = json.dumps(payload).encode()
    settings.PAYOUT_CALLBACK_SECRET = "attacker-guess"
    forged = callback_signature(timestamp=ts, body=body)
    settings.PAYOUT_CALLBACK_SECRET = "sandbox-only-callback-secret-for-the-test"
    error_of(api().post("/api/v1/gateway/callback/", body, content_type="application/json", HTTP_X_TIMESTAMP=ts,
                        HTTP_X_SIGNATURE=forged), 401, "callback_signature_invalid", "PAY-S07")
    assert Payout.objects.get().status == "processing"


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_pay_s07_stale_callback_is_401(processing, api, age):
    before = snapshot()
    stale = int(now().timestamp()) - age
    error_of(signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "succeeded"}, timestamp=stale),
             401, "callback_signature_invalid", "PAY-S07")
    assert snapshot() == before


def test_pay_s07_duplicate_success_is_applied_once(processing, api):
    payload = {"ref": f"PO{processing['id']}-1", "status": "succeeded"}
    first = signed_callback(api(), payload)
    state = snapshot()
    second = signed_callback(api(), payload)
    assert first.status_code == second.status_code == 200
    assert second.json()["payout_status"] == "succeeded"
    assert snapshot() == state
    assert _events(processing["id"]).count("succeeded") == 1
    assert Notification.objects.filter(kind="payout_succeeded").count() == 2  # app + WeChat, once


def test_pay_s07_failure_after_success_is_recorded_and_ignored(processing, api):
    signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "succeeded"})
    response = signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "failed",
                                       "error_code": "ACCOUNT_INVALID"})
    assert response.status_code == 200 and response.json()["payout_status"] == "succeeded"
    payout = Payout.objects.get()
    assert payout.status == "succeeded" and payout.failure_reason == ""
    assert _events(payout.pk)[-1] == "callback_ignored"
    assert not payout.cards.exists()


def test_pay_s07_processing_report_and_an_old_attempt_change_nothing(processing, api):
    before = snapshot()
    assert signed_callback(api(), {"ref": f"PO{processing['id']}-1", "status": "processing"}).status_code == 200
    assert snapshot() == before
    # PAY-S11: a key the payout was never sent under is refused and flagged to platform staff
    response = signed_callback(api(), {"ref": f"PO{processing['id']}-7", "status": "succeeded"})
    assert response.status_code == 409 and response.json()["code"] == "callback_mismatch"
    assert _events(processing["id"])[-1] == "callback_refused"
    assert Payout.objects.get().status == "processing" and Payout.objects.get().flag_reason == "callback_mismatch"


def test_pay_s07_out_of_order_retry_results(demo, api):
    """PAY-C02 retry: attempt 1 failed, the buyer submitted a card (attempt 2); a late duplicate of attempt 1's
    failure arrives after attempt 2 succeeded, then attempt 2's success again."""
    created = create(api("tok-pdd_admin"), **{**PDD_BODY, "order_no": "PDD2005"})
    pid = created["id"]
    signed_callback(api(), {"ref": f"PO{pid}-1", "status": "failed", "error_code": "ACCOUNT_INVALID"})
    card = Payout.objects.get().cards.get()
    assert api("tok-buyer_invalid").post(f"/api/v1/payout-cards/{card.token}/",
                                         {"channel": "alipay", "account": "buyer@example.com", "name": "李四"},
                                         format="json").status_code == 200
    assert signed_callback(api(), {"ref": f"PO{pid}-2", "status": "succeeded"}).json()["payout_status"] == "succeeded"
    state = snapshot()
    late = signed_callback(api(), {"ref": f"PO{pid}-1", "status": "failed", "error_code": "ACCOUNT_INVALID"})
    assert late.status_code == 200 and late.json()["payout_status"] == "succeeded"
    again = signed_callback(api(), {"ref": f"PO{pid}-2", "status": "succeeded"})
    assert again.status_code == 200
    after = snapshot()
    # only the late failure's callback_ignored event was added
    assert after[:2] == state[:2] and after[2] == state[2] + 1 and after[3:] == state[3:]
    assert _events(pid)[-1] == "callback_ignored"
    assert Payout.objects.get().status == "succeeded"
    assert _events(pid).count("succeeded") == 1
    assert ledger_drifts() == []


def test_pay_s03_douyin_failure_by_callback_releases_the_hold(demo, api):
    client = api("tok-dy_admin")
    created = create(client, order_no="DY1028")
    client.post(f"/api/v1/payouts/{created['id']}/continue/")
    held = balance("dy")
    response = signed_callback(api(), {"ref": f"PO{created['id']}-1", "status": "failed", "error_code": "RISK_REJECTED"})
    assert response.json()["payout_status"] == "failed"
    payout = Payout.objects.get()
    assert payout.failure_reason == "provider_error" and payout.held == 0
    assert balance("dy") == held + payout.amount
    assert ledger_drifts() == []


def test_pay_s07_unknown_ref_is_404_and_malformed_body_400(demo, api):
    before = snapshot()
    error_of(signed_callback(api(), {"ref": "PO999999-1", "status": "succeeded"}), 404, "not_found")
    error_of(signed_callback(api(), {"ref": "X1", "status": "succeeded"}), 400, "invalid")
    error_of(signed_callback(api(), {"ref": "PO1-1", "status": "paid"}), 400, "invalid")
    error_of(signed_callback(api(), ["PO1-1"]), 400, "invalid")
    ts = str(int(now().timestamp()))
    error_of(api().post("/api/v1/gateway/callback/", b"{oops", content_type="application/json", HTTP_X_TIMESTAMP=ts,
                        HTTP_X_SIGNATURE=callback_signature(timestamp=ts, body=b"{oops")), 400, "invalid")
    assert snapshot() == before


def test_pay_s07_a_shop_token_does_not_replace_the_signature(processing, api):
    body = json.dumps({"ref": f"PO{processing['id']}-1", "status": "succeeded"})
    error_of(api("tok-pdd_admin").post("/api/v1/gateway/callback/", body, content_type="application/json"), 401,
             "callback_signature_invalid", "PAY-S07")
    assert Payout.objects.get().status == "processing"


@pytest.mark.parametrize("timestamp", ["9" * 400, "-1", "1e9", "１２３", " 123", "0x10", ""])
def test_sec04_malformed_callback_timestamps_are_401_not_500(processing, api, timestamp):
    """SEC-04: a 400-digit, negative, exponent or full-width X-Timestamp is refused like a bad signature."""
    before = snapshot()
    body = json.dumps({"ref": f"PO{processing['id']}-1", "status": "succeeded"}).encode()
    response = api().post("/api/v1/gateway/callback/", body, content_type="application/json", HTTP_X_TIMESTAMP=timestamp,
                          HTTP_X_SIGNATURE="0" * 64)
    error_of(response, 401, "callback_signature_invalid", "PAY-S07")
    assert snapshot() == before
