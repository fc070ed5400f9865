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
# Issue 21.1: the transaction records the submission (the outbox row, in the same statement as the timeline);
# after the commit only an in-process rail (the sandbox) is sent to at once — its own book (the buyer's wallet,
# one INSERT) and one UPDATE of the outbox row, from what the request holds; a remote rail goes to a worker.
MAX_SUBMISSION_STATEMENTS = 3
MAX_WITH_SUBMISSION = 15


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
    assert len(everything) <= MAX_WITH_SUBMISSION, listing
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
