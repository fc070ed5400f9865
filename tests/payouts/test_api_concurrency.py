"""Idempotency-Key under real concurrency (API.md Conventions): threads on PostgreSQL sending the same
request with one key at the same moment create exactly one payout and move the money once."""

import threading
from collections import Counter

import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from payouts.models import Payout, PayoutRequest
from tests.payouts.api_support import BODY, balance

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def _race(method: str, url: str, body: dict | None, token: str, keys: list[str]) -> list:
    barrier = threading.Barrier(len(keys))
    results: list = []
    lock = threading.Lock()

    def run(key: str):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            response = getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
            outcome = (response.status_code, response.json())
        except Exception as exc:  # a crash is a defect: count it
            outcome = (500, {"code": f"crash:{type(exc).__name__}:{exc}"})
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == len(keys)
    return results


def _codes(results) -> Counter:
    return Counter(status if status < 400 else f"{status}:{body['code']}" for status, body in results)


def test_pay_s01_same_key_at_once_creates_exactly_one_payout(demo):
    before = balance("dy")
    results = _race("post", "/api/v1/payouts/", BODY, "tok-dy_admin", ["same-key"] * THREADS)
    codes = _codes(results)
    assert set(codes) <= {201, "409:idempotency_key_in_use"}, codes
    assert codes[201] >= 1
    assert Payout.objects.count() == 1
    payout = Payout.objects.get()
    assert all(body["id"] == payout.pk for status, body in results if status == 201)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert balance("dy") == before - payout.amount
    assert ledger_drifts() == []


def test_pay_l03_different_keys_at_once_pass_the_interval_only_once(demo):
    results = _race("post", "/api/v1/payouts/", BODY, "tok-dy_admin", [f"key-{i}" for i in range(THREADS)])
    codes = _codes(results)
    assert codes == Counter({201: 1, "429:order_payout_too_frequent": THREADS - 1}), codes
    assert Payout.objects.count() == 1
    assert ledger_drifts() == []


def test_pay_a02_same_approval_at_once_creates_one_payout(demo, api):
    created = api("tok-dy_cs2").post("/api/v1/payout-requests/", BODY, format="json")
    assert created.status_code == 201, created.json()
    url = f"/api/v1/payout-requests/{created.json()['id']}/approve/"
    results = _race("post", url, None, "tok-dy_admin", ["approve"] * (THREADS // 2) + ["other"] * (THREADS // 2))
    codes = _codes(results)
    assert set(codes) <= {201, "409:idempotency_key_in_use", "409:request_not_pending"}, codes
    assert Payout.objects.count() == 1
    assert PayoutRequest.objects.get().status == "approved"
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert ledger_drifts() == []
