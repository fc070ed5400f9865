"""The hot path of POST /api/v1/payouts/ (issue 14): one transaction, no savepoint, a bounded number of
statements, every lock still taken (SPEC §4.2 last paragraph; API.md Conventions, Idempotency-Key)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import LedgerEntry
from payouts.models import Payout, PayoutEvent
from tests.payouts.api_support import BODY

pytestmark = pytest.mark.django_db(transaction=True)

MAX_STATEMENTS = 12
# PAY-S01: after the commit the payout is handed to the shop's rail in the same request. What that costs is
# the rail's (here the sandbox's own book); bounded, and outside the locks.
MAX_SUBMISSION_STATEMENTS = 10


def test_pay_s01_post_payout_statements_one_transaction_no_savepoint(demo):
    """PAY-S01 on a real transaction (no test-wrapping atomic): the statements Django sends for one payout
    with an Idempotency-Key, the token lookup included; no SAVEPOINT; the order, shop account locked."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token tok-dy_admin")
    client.get("/api/v1/shop/balance/")  # the token's last use is written at most once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="hot-path-1")
    assert response.status_code == 201, response.json()
    everything = [q["sql"] for q in queries]
    listing = "\n".join(everything)
    assert not [s for s in everything if "SAVEPOINT" in s.upper()], listing
    commit = everything.index("COMMIT") + 1
    sqls, submission = everything[:commit], everything[commit:]
    assert len(sqls) <= MAX_STATEMENTS, f"{len(sqls)} statements:\n{listing}"
    assert len(submission) <= MAX_SUBMISSION_STATEMENTS, f"{len(submission)} after commit:\n{listing}"
    assert response.json()["status"] == "processing"
    locks = [s for s in sqls if "FOR UPDATE" in s]
    assert any("orders_order" in s.split("FOR UPDATE")[0] for s in locks), listing
    assert any("accounts_shopaccount" in s for s in locks), listing
    payout = Payout.objects.get(pk=response.json()["id"])
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).count() == 1
    assert PayoutEvent.objects.filter(payout=payout).count() >= 1
    replay = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="hot-path-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == response.json()


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
