"""Chat tools (API.md "Chat tools"): orders/?q=, buyer=, tickets/?order_no=, orders/{order_no}/context/."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from aftersales.services import ticket_create
from tests.chattools.history import build_history

pytestmark = pytest.mark.django_db

ACTIONS = {"payout", "payout_scan", "payout_request", "open_aftersales_entry", "intercept"}


def _nos(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [o["order_no"] for o in response.json()["results"]]


def test_orders_search_by_number_prefix_buyer_product_and_tracking_number(demo, api):
    """Chat tools: `q` finds an order by its number (exact or prefix), its buyer, a product ID or a tracking
    number; `buyer` filters; newest first; only the caller's shop."""
    client = api("tok-dy_admin")
    assert _nos(client.get("/api/v1/orders/", {"q": "DY1027"})) == ["DY1027"]
    prefix = _nos(client.get("/api/v1/orders/", {"q": "DY102"}))
    assert set(prefix) == {f"DY102{i}" for i in range(10)} and "PDD2001" not in prefix
    busy = _nos(client.get("/api/v1/orders/", {"q": "buyer_ok2"}))
    assert busy and all(o["buyer"] == "buyer_ok2" for o in client.get("/api/v1/orders/", {"q": "buyer_ok2"}).json()["results"])
    assert _nos(client.get("/api/v1/orders/", {"buyer": "buyer_ok2"})) == busy
    assert "DY1001" in _nos(client.get("/api/v1/orders/", {"q": "DY-SH-001"}))
    tracking = client.get("/api/v1/orders/DY1030/").json()["parcels"][0]["tracking_no"]
    assert _nos(client.get("/api/v1/orders/", {"q": tracking})) == ["DY1030"]
    assert _nos(client.get("/api/v1/orders/", {"q": "PDD2001"})) == []  # another shop's order
    rows = client.get("/api/v1/orders/", {"q": "buyer_ok"}).json()["results"]
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
    assert client.get("/api/v1/orders/", {"created_from": "x"}).json()["code"] == "invalid"


def test_tickets_of_one_order(demo, api):
    """Chat tools: `tickets/?order_no=` lists the tickets of one order (shop and buyer)."""
    order = build_history("DY1027", payouts=0, tickets=2, interceptions=0)
    ticket_create(order=build_history("DY1001", payouts=0, tickets=0, interceptions=0),
                  buyer=User.objects.get(username="buyer_ok"), type="refund_only", reason="不想要了", amount=Decimal("1.00"))
    body = api("tok-dy_admin").get("/api/v1/tickets/", {"order_no": "DY1027"}).json()
    assert body["count"] == 2 and {t["order_no"] for t in body["results"]} == {order.order_no}
    assert api("tok-buyer_ok").get("/api/v1/tickets/", {"order_no": "DY1027"}).json()["count"] == 2
    assert api("tok-pdd_admin").get("/api/v1/tickets/", {"order_no": "DY1027"}).json()["count"] == 0


def test_context_has_every_part_and_the_actions_of_the_main_account(demo, api):
    """Chat tools: the context holds the order, its payout panel, payouts (newest first), tickets,
    interceptions, the entry state and a verdict for every action."""
    build_history("DY1027")
    body = api("tok-dy_admin").get("/api/v1/orders/DY1027/context/").json()
    assert body["order"]["order_no"] == "DY1027" and body["payout_panel"]["order_no"] == "DY1027"
    assert len(body["payouts"]) == 5 and len(body["tickets"]) == 3 and len(body["interceptions"]) == 2
    assert [p["id"] for p in body["payouts"]] == sorted((p["id"] for p in body["payouts"]), reverse=True)
    assert body["payout_panel"]["remaining"]["order_count"] == 0
    assert body["aftersales_entry"] == {"state": "not_needed", "opened_at": None, "closes_at": None}
    actions = body["actions"]
    assert set(actions) == ACTIONS
    # PAY-L01: five payouts already — the code payout_create would answer.
    assert actions["payout"] == {"allowed": False, "code": "order_payout_count_reached",
                                 "message": actions["payout"]["message"], "message_en": actions["payout"]["message_en"],
                                 "rule": "PAY-L01"}
    assert actions["payout_scan"]["code"] == "scan_not_supported"
    assert actions["payout_request"] == {"allowed": True}
    assert actions["open_aftersales_entry"]["code"] == "aftersales_period_not_over"
    # Both parcels are being intercepted (INT-01): a third interception would be refused.
    assert actions["intercept"]["code"] == "interception_already_requested"


def test_context_offers_interception_and_entry_where_the_services_would_allow_them(demo, api):
    """Chat tools: `intercept` allowed with the ticket and the parcels; `open_aftersales_entry` allowed on an
    order past its after-sales period (ASE-E01..E06), then `open` with its closing time."""
    build_history("DY1027", payouts=0, tickets=1, interceptions=0)
    actions = api("tok-dy_cs1").get("/api/v1/orders/DY1027/context/").json()["actions"]
    assert actions["intercept"]["allowed"] is True and len(actions["intercept"]["parcels"]) == 2
    client = api("tok-dy_admin")
    before = client.get("/api/v1/orders/DY1018/context/").json()
    assert before["aftersales_entry"]["state"] == "closed" and before["actions"]["open_aftersales_entry"] == {
        "allowed": True}
    assert client.post("/api/v1/orders/DY1018/aftersales-entry/").status_code == 201
    after = client.get("/api/v1/orders/DY1018/context/").json()
    assert after["aftersales_entry"]["state"] == "open" and after["aftersales_entry"]["closes_at"]
    assert after["actions"]["open_aftersales_entry"]["code"] == "entry_already_open"
    refused = client.get("/api/v1/orders/DY1020/context/").json()
    assert refused["aftersales_entry"]["state"] == "not_allowed"
    assert refused["actions"]["open_aftersales_entry"]["code"] == "order_refunded_or_refunding"


def test_context_shows_a_sub_accounts_refusals(demo, api):
    """Chat tools, PAY-L08: a Douyin sub-account without a quota may not pay (`no_payout_permission`) but may
    send a request; on Pinduoduo the balance-blocked order (PAY-Q03) offers scan only."""
    actions = api("tok-dy_cs2").get("/api/v1/orders/DY1001/context/").json()["actions"]
    assert actions["payout"]["code"] == "no_payout_permission" and actions["payout"]["rule"] == "PAY-L08"
    assert actions["payout_request"] == {"allowed": True}
    pdd = api("tok-pdd_admin").get("/api/v1/orders/PDD2003/context/").json()["actions"]
    assert pdd["payout"]["code"] == "balance_payment_not_allowed" and pdd["payout"]["reasons"] == ["scan_only_age"]
    assert pdd["payout_scan"] == {"allowed": True}
    ineligible = api("tok-dy_admin").get("/api/v1/orders/DY1003/context/").json()["actions"]
    assert ineligible["payout"]["code"] == ineligible["payout_request"]["code"] == "order_source_not_supported"


def test_context_of_another_shops_order_is_404_and_buyers_may_not_call_it(demo, api):
    """Chat tools: another shop's order answers 404; the context is for shop people."""
    assert api("tok-pdd_admin").get("/api/v1/orders/DY1001/context/").status_code == 404
    assert api("tok-dy_admin").get("/api/v1/orders/NOPE/context/").status_code == 404
    assert api("tok-buyer_ok").get("/api/v1/orders/DY1001/context/").status_code == 403


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_context_answers_in_a_fixed_number_of_queries_whatever_the_history(demo, api):
    """Chat tools: the number of queries does not grow with payouts, tickets or interceptions."""
    client = api("tok-dy_admin")
    empty = _queries(client, "/api/v1/orders/DY1027/context/")
    build_history("DY1027", payouts=1, tickets=1, interceptions=1, leave_open=False)
    some = _queries(client, "/api/v1/orders/DY1027/context/")
    build_history("DY1027", payouts=4, tickets=3, interceptions=1)
    more = _queries(client, "/api/v1/orders/DY1027/context/")
    # Prefetches of empty lists are skipped, so no history costs fewer; from one row of each on it is fixed.
    assert empty <= some == more, (empty, some, more)
    assert more <= 40
    search = [_queries(client, f"/api/v1/orders/?q={q}") for q in ("DY1027", "buyer_ok")]
    assert search[0] == search[1]


def test_openapi_schema_has_the_chat_tools_with_examples(demo, api):
    """Chat tools are in the OpenAPI schema, the context with an example answer."""
    schema = api("tok-dy_admin").get("/api/v1/schema/", {"format": "json"}).json()
    context = schema["paths"]["/api/v1/orders/{order_no}/context/"]["get"]
    assert "examples" in context["responses"]["200"]["content"]["application/json"]
    names = {p["name"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert {"q", "buyer", "status", "created_from", "created_to"} <= names
    assert "order_no" in {p["name"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    approve = schema["paths"]["/api/v1/payout-requests/{request_id}/approve/"]["post"]
    assert approve["requestBody"]
