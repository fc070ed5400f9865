"""The hot path of POST /api/v1/payouts/ (issue 14): one transaction, no savepoint, a bounded number of
statements, every lock still taken (SPEC §4.2 last paragraph; API.md Conventions, Idempotency-Key)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import LedgerEntry
from payouts.models import Payout, PayoutEvent, PayoutSubmission, SandboxTransfer
from tests.payouts.api_support import BODY

pytestmark = pytest.mark.django_db(transaction=True)

# Issue 21 item 2: the whole request as Django's query capture sees it (BEGIN and COMMIT included, the work
# after the commit too): at most 12 statements, at most 15 with a submission to the sandbox rail in the process.
MAX_STATEMENTS = 12
MAX_WITH_SANDBOX_SUBMISSION = 15


def _post(client, key: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return response, [q["sql"] for q in queries]


def test_pay_s01_post_payout_statements_one_transaction_no_savepoint(demo):
    """PAY-S01 on a real transaction (no test-wrapping atomic), the whole request counted — the token, the
    rail's resolution and the sandbox submission after the commit included, each read for the first time in
    this process: ≤ 15 statements, one transaction, no SAVEPOINT, the order and the shop account locked, and
    the sandbox submission one INSERT and the submission's one UPDATE."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token tok-dy_admin")
    response, everything = _post(client, "hot-path-1")
    assert response.status_code == 201, response.json()
    listing = "\n".join(everything)
    assert len(everything) <= MAX_WITH_SANDBOX_SUBMISSION, f"{len(everything)} statements:\n{listing}"
    assert not [s for s in everything if "SAVEPOINT" in s.upper()], listing
    assert everything.count("BEGIN") == 1 and everything.count("COMMIT") == 1, listing
    commit = everything.index("COMMIT") + 1
    sqls, submission = everything[:commit], everything[commit:]
    assert response.json()["status"] == "processing"
    locks = [s for s in sqls if "FOR UPDATE" in s]
    assert any("orders_order" in s.split("FOR UPDATE")[0] for s in locks), listing
    assert any("accounts_shopaccount" in s for s in locks), listing
    # after the commit: the sandbox books the transfer (one INSERT) and the submission is marked sent
    assert len(submission) <= 2 and "payouts_sandboxtransfer" in submission[0], listing
    payout = Payout.objects.get(pk=response.json()["id"])
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert PayoutEvent.objects.filter(payout=payout).count() >= 1
    assert SandboxTransfer.objects.filter(payout=payout, ref=f"PO{payout.pk}-1").count() == 1
    assert PayoutSubmission.objects.get(payout=payout).state == "accepted"
    replay = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="hot-path-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == response.json()


def test_pay_s01_a_warm_process_sends_no_statement_the_request_does_not_need(demo):
    """Issue 21 items 2–4: once the process knows the token and the shop's rail, a payout with its sandbox
    submission is ≤ 12 statements — nothing re-read after the commit (no payout, card, wallet or rail
    SELECT), the writes under the lock as one statement."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token tok-dy_admin")
    first, _ = _post(client, "hot-path-warm")
    assert first.status_code == 201
    body = {**BODY, "order_no": "DY1007"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/payouts/", body, format="json", HTTP_IDEMPOTENCY_KEY="hot-path-2")
    assert response.status_code == 201, response.json()
    everything = [q["sql"] for q in queries]
    listing = "\n".join(everything)
    assert len(everything) <= MAX_STATEMENTS, f"{len(everything)} statements:\n{listing}"
    after = everything[everything.index("COMMIT") + 1:]
    assert not [s for s in after if s.lstrip().upper().startswith("SELECT")], listing
    assert not [s for s in everything if "rails_shoprail" in s or "accounts_apitoken" in s], listing
    assert not [s for s in everything if "payouts_payoutcard" in s], listing


@pytest.mark.django_db
def test_pay_s01_the_rail_a_shop_uses_is_read_once_per_process_and_a_change_reaches_it(demo):
    """Issue 21 item 2: the rail a shop's payouts go to is resolved from the process's cache (no statement per
    payout); platform staff changing it here is seen at once, in another process within a second."""
    import time

    from django.core.cache import cache

    from accounts.models import Shop
    from payouts.provider import SandboxProvider, provider_for
    from payouts.rails import shop_rails
    from payouts.rails.models import ShopRail
    from payouts.rails.router import ShopRailProvider

    shop = Shop.objects.get(key="dy")
    assert isinstance(provider_for(shop.pk), SandboxProvider)
    with CaptureQueriesContext(connection) as queries:
        assert isinstance(provider_for(shop.pk), SandboxProvider)
    assert [q["sql"] for q in queries] == []
    config = ShopRail.objects.create(shop=shop, rail="wechat", wechat_mch_id="1900000109")  # staff set a rail
    assert isinstance(provider_for(shop.pk), ShopRailProvider)
    # Another process switches it back (the row and the shared version change; this process is not told).
    ShopRail.objects.filter(pk=config.pk).update(rail="sandbox")
    cache.incr(shop_rails.version_key)
    started = time.monotonic()
    while not isinstance(provider_for(shop.pk), SandboxProvider):
        assert time.monotonic() - started < 1.0, "a changed rail was still used after a second"
        time.sleep(0.05)
