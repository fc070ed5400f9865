"""POST payouts/ and the payout's representation (API.md "Small payouts"; PAY-S01, PAY-L*, PAY-Q*)."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, ShopAccount
from accounts.selectors import ledger_drifts
from payouts.models import Payout

pytestmark = pytest.mark.django_db

BODY = {"order_no": "DY1001", "type": "shipping_fee", "amount": "12.50", "reason": "运费补偿", "buyer_message": "已为您补运费"}


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _balance(key: str) -> Decimal:
    return ShopAccount.objects.get(shop__key=key).balance


def test_pay_s01_post_payouts_creates_a_pending_payout_holding_its_amount_once(demo, api):
    before = _balance("dy")
    response = api("tok-dy_admin").post("/api/v1/payouts/", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    payout = Payout.objects.get()
    assert body["id"] == payout.pk
    assert body["order_no"] == "DY1001" and body["type"] == "shipping_fee" and body["amount"] == "12.50"
    assert body["status"] == "pending" and body["failure_reason"] == ""
    assert body["reason"] == "运费补偿" and body["buyer_message"] == "已为您补运费"
    assert body["pay_method"] == "balance" and body["scan_channel"] == "" and body["qr"] is None
    assert body["applicant"] == "dy_admin" and body["approved_by"] is None
    assert _at(body["deadline"]) == payout.auto_submit_at and _at(body["created_at"]) == payout.created_at
    assert body["cards"] == []
    assert [e["type"] for e in body["events"]] == ["created"]
    assert body["events"][0]["actor"] == "dy_admin"
    assert body["return_due_at"] is None and body["returned_at"] is None
    assert _balance("dy") == before - Decimal("12.50")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert ledger_drifts() == []


def test_idempotency_key_replay_answers_the_first_response_and_moves_money_once(demo, api):
    client = api("tok-dy_admin")
    first = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payout.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert ledger_drifts() == []


def test_idempotency_key_with_another_body_answers_409_and_changes_nothing(demo, api):
    client = api("tok-dy_admin")
    assert client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    balance = _balance("dy")
    other = client.post("/api/v1/payouts/", {**BODY, "amount": "13.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Payout.objects.count() == 1 and _balance("dy") == balance
