"""Helpers of the payouts API tests (tests/payouts/test_api*.py): bodies, signed callbacks, snapshots."""

import datetime as dt
import json
from decimal import Decimal

from accounts.models import LedgerEntry, ShopAccount
from core.clock import now
from notifications.models import Notification
from payouts.models import Payout, PayoutCard, PayoutEvent, PayoutRequest
from payouts.provider import callback_signature

BODY = {"order_no": "DY1001", "type": "shipping_fee", "amount": "12.50", "reason": "运费补偿", "buyer_message": "已为您补运费"}
PDD_BODY = {**BODY, "order_no": "PDD2001", "amount": "5.00"}


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def balance(key: str) -> Decimal:
    return ShopAccount.objects.get(shop__key=key).balance


def snapshot() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        Payout.objects.count(), PayoutRequest.objects.count(), PayoutEvent.objects.count(), PayoutCard.objects.count(),
        Notification.objects.count(), LedgerEntry.objects.count(),
        tuple(ShopAccount.objects.order_by("pk").values_list("balance", "frozen", "deposit")),
        tuple(Payout.objects.order_by("pk").values_list("status", "held")),
    )


def create(client, **overrides) -> dict:
    response = client.post("/api/v1/payouts/", {**BODY, **overrides}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def signed_callback(client, payload: dict, *, timestamp: int | None = None, secret_ok: bool = True):
    body = json.dumps(payload).encode()
    ts = str(int(now().timestamp()) if timestamp is None else timestamp)
    signature = callback_signature(timestamp=ts, body=body)
    if not secret_ok:
        signature = "0" * len(signature)
    return client.post("/api/v1/gateway/callback/", body, content_type="application/json",
                       HTTP_X_TIMESTAMP=ts, HTTP_X_SIGNATURE=signature)


def error_of(response, status: int, code: str, rule: str | None = None) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert body["code"] == code, body
    assert body["message"] and body.get("message_en"), body
    if rule is not None:
        assert body["rule"] == rule, body
    return body
