"""The REST contract of API.md "After-sales tickets and re-opened entries"."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.selectors import ledger_drifts
from aftersales.models import AftersalesEntry, Ticket
from orders.models import Order
from tests.aftersales.helpers import NOW

pytestmark = pytest.mark.django_db

BASE = "/api/v1/"


def test_ase_r01_shop_reads_eligibility_then_opens_the_entry(demo, clock, api):
    """ASE-E01..E06 explained rule by rule (GET), ASE-R01 opening (POST), ASE-R04 the operation log."""
    shop = api("tok-dy_cs1")
    body = shop.get(f"{BASE}orders/DY1016/aftersales-entry/").json()
    assert body["eligible"] is True and [r["rule"] for r in body["rules"]] == [f"ASE-E0{i}" for i in range(1, 7)]
    assert body["entry"] is None
    response = shop.post(f"{BASE}orders/DY1016/aftersales-entry/")
    assert response.status_code == 201
    opened = response.json()
    assert dt.datetime.fromisoformat(opened["closes_at"]) - dt.datetime.fromisoformat(opened["opened_at"]) == \
        dt.timedelta(days=5)
    again = shop.post(f"{BASE}orders/DY1016/aftersales-entry/")
    assert again.status_code == 409 and again.json()["code"] == "entry_already_open"
    assert again.json()["rule"] == "ASE-R01"
    log = shop.get(f"{BASE}orders/DY1016/operation-log/").json()["results"]
    assert [e["type"] for e in log if e["type"].startswith("aftersales")] == ["aftersales_entry_opened"]


def test_ase_e02_refusal_shape(demo, clock, api):
    """ASE-E02: 422 with code, Chinese and English messages and the rule."""
    response = api("tok-dy_admin").post(f"{BASE}orders/DY1019/aftersales-entry/")
    assert response.status_code == 422
    assert response.json() == {"code": "order_refunded_or_refunding", "message": "已全款退款成功的订单和退款过程中的订单除外",
                               "message_en": "Not for orders fully refunded or with a refund in progress.",
                               "rule": "ASE-E02"}
    assert not AftersalesEntry.objects.exists()


def test_ase_r01_another_shops_order_answers_404_and_buyers_cannot_open(demo, clock, api):
    """SPEC §1 tenancy: another shop's order is 404; a buyer may not open the entry (403)."""
    assert api("tok-pdd_admin").post(f"{BASE}orders/DY1016/aftersales-entry/").status_code == 404
    assert api("tok-pdd_admin").get(f"{BASE}orders/DY1016/aftersales-entry/").status_code == 404
    assert api("tok-buyer_ok").post(f"{BASE}orders/DY1016/aftersales-entry/").status_code == 403
    assert api("tok-buyer_ok").get(f"{BASE}orders/DY1016/aftersales-entry/").json()["entry"] is None
    assert api("tok-buyer_ok2").get(f"{BASE}orders/DY1016/aftersales-entry/").status_code == 404
    assert not AftersalesEntry.objects.exists()


def test_ase_r01_buyer_requests_the_entry_again(demo, clock, api):
    """ASE-R01: after the entry closed the buyer asks again; the request shows on the order's eligibility page."""
    api("tok-dy_admin").post(f"{BASE}orders/DY1016/aftersales-entry/")
    buyer = api("tok-buyer_ok")
    early = buyer.post(f"{BASE}orders/DY1016/aftersales-entry/requests/")
    assert early.status_code == 409 and early.json()["code"] == "entry_already_open"
    clock.shift(days=5)
    response = buyer.post(f"{BASE}orders/DY1016/aftersales-entry/requests/")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert buyer.post(f"{BASE}orders/DY1016/aftersales-entry/requests/").status_code == 200
    page = api("tok-dy_admin").get(f"{BASE}orders/DY1016/aftersales-entry/").json()
    assert page["pending_request"]["status"] == "pending"
    assert api("tok-buyer_ok2").post(f"{BASE}orders/DY1016/aftersales-entry/requests/").status_code == 404


def test_ase_r04_overdue_ticket_reads_with_its_label_and_filters(demo, clock, api):
    """ASE-R04, ASE-R05: a ticket filed through the entry reads with `overdue_aftersales`; `label` filters; the
    buyer sees the station message and push."""
    api("tok-dy_admin").post(f"{BASE}orders/DY1016/aftersales-entry/")
    buyer = api("tok-buyer_ok")
    response = buyer.post(f"{BASE}tickets/", {"order_no": "DY1016", "type": "refund_only", "reason": "质量问题",
                                              "amount": "30.00"}, format="json")
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert ticket["labels"] == ["overdue_aftersales"] and ticket["amount"] == "30.00"
    assert ticket["status"] == "pending_merchant" and ticket["version"] == 1
    assert [e["type"] for e in ticket["events"]] == ["created"]
    shop = api("tok-dy_admin")
    assert [t["id"] for t in shop.get(f"{BASE}tickets/?label=overdue_aftersales").json()["results"]] == [ticket["id"]]
    kinds = {(n["channel"], n["kind"]) for n in buyer.get(f"{BASE}notifications/").json()["results"]}
    assert kinds == {("station", "entry_opened"), ("push", "entry_opened")}
    assert api("tok-buyer_ok2").get(f"{BASE}notifications/").json()["count"] == 0


def test_rs03_reship_through_the_api_with_deadline_and_quick_filter(demo, clock, api):
    """RS-02, RS-03: a reship with a reason; its deadline says when the clock approves; the quick filter
    「换货&补寄待处理」 and the type filter find it."""
    buyer = api("tok-buyer_ok")
    bad = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "坏了"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "reason" in bad.json()["fields"]
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "missing_items"},
                        format="json").json()
    assert ticket["deadline"]["action"] == "auto_approve"
    assert dt.datetime.fromisoformat(ticket["deadline"]["at"]) == NOW + dt.timedelta(hours=48)
    shop = api("tok-dy_cs1")
    assert [t["id"] for t in shop.get(f"{BASE}tickets/?quick=exchange_reship_pending").json()["results"]] == \
        [ticket["id"]]
    assert shop.get(f"{BASE}tickets/?type=refund_only").json()["count"] == 0
    assert shop.get(f"{BASE}tickets/?quick=nonsense").status_code == 400
    assert api("tok-pdd_admin").get(f"{BASE}tickets/{ticket['id']}/").status_code == 404
    assert api("tok-buyer_ok2").get(f"{BASE}tickets/{ticket['id']}/").status_code == 404


def test_rs04_approve_and_ship_with_versions(demo, clock, api):
    """RS-04 and the optimistic version: a stale approve answers 409 `ticket_version_stale`; the ship checks the
    tracking number."""
    buyer, shop = api("tok-buyer_ok"), api("tok-dy_cs1")
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "other"},
                        format="json").json()
    ok = shop.post(f"{BASE}tickets/{ticket['id']}/approve/", {"version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "awaiting_shipment" and ok.json()["version"] == 2
    stale = api("tok-dy_cs2").post(f"{BASE}tickets/{ticket['id']}/reject/", {"version": 1, "reason": "x"},
                                   format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "ticket_version_stale"
    bad = shop.post(f"{BASE}tickets/{ticket['id']}/ship/", {"courier": "yto", "tracking_no": "YT1"}, format="json")
    assert bad.status_code == 422 and bad.json()["code"] == "tracking_no_invalid" and bad.json()["rule"] == "RS-04"
    shipped = shop.post(f"{BASE}tickets/{ticket['id']}/ship/",
                        {"courier": "yto", "tracking_no": "YT8800000000001", "version": 2}, format="json")
    assert shipped.status_code == 200 and shipped.json()["tracking_no"] == "YT8800000000001"
    assert buyer.post(f"{BASE}tickets/{ticket['id']}/approve/").status_code == 403


def test_rs07_rs09_reject_intervene_and_platform_decides(demo, clock, api):
    """RS-07: the buyer intervenes within 48 h; RS-09: platform staff see it in their queue and decide."""
    buyer, shop, staff = api("tok-buyer_ok"), api("tok-dy_admin"), api("tok-ops1")
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "missing_items"},
                        format="json").json()
    shop.post(f"{BASE}tickets/{ticket['id']}/reject/", {"reason": "未少发"}, format="json")
    assert buyer.post(f"{BASE}tickets/{ticket['id']}/intervene/", {"note": "少一件"}, format="json").json()["status"] \
        == "in_intervention"
    assert shop.get(f"{BASE}arbitrations/").status_code == 403
    queue = staff.get(f"{BASE}arbitrations/").json()["results"]
    assert [t["id"] for t in queue] == [ticket["id"]]
    bad = staff.post(f"{BASE}arbitrations/{ticket['id']}/decide/", {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400
    decided = staff.post(f"{BASE}arbitrations/{ticket['id']}/decide/", {"outcome": "merchant", "note": "证据不足"},
                         format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "closed"
    assert staff.get(f"{BASE}arbitrations/").json()["count"] == 0


def test_rs07_window_closed_answers_409(demo, clock, api):
    """RS-07: `intervention_window_closed` (409) after 48 h."""
    buyer = api("tok-buyer_ok")
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "other"},
                        format="json").json()
    api("tok-dy_admin").post(f"{BASE}tickets/{ticket['id']}/reject/", {"reason": "x"}, format="json")
    clock.shift(hours=48)
    response = buyer.post(f"{BASE}tickets/{ticket['id']}/modify/", {"reason": "missing_items"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "intervention_window_closed"


def test_rs08_withdraw_and_apply_for_a_refund_which_the_shop_approves(demo, clock, api):
    """RS-08: withdraw, then a refund_only ticket; approving it refunds through the ledger."""
    buyer, shop = api("tok-buyer_ok"), api("tok-dy_admin")
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship", "reason": "other"},
                        format="json").json()
    assert buyer.post(f"{BASE}tickets/{ticket['id']}/withdraw/").json()["status"] == "withdrawn"
    refund = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "refund_only", "reason": "不想要了",
                                            "amount": "20.00"}, format="json").json()
    missing = buyer.post(f"{BASE}tickets/", {"order_no": "DY1023", "type": "refund_only", "reason": "x"},
                         format="json")
    assert missing.status_code == 400 and "amount" in missing.json()["fields"]
    done = shop.post(f"{BASE}tickets/{refund['id']}/approve/", {"version": refund["version"]}, format="json").json()
    assert done["status"] == "refunded" and [e["type"] for e in done["events"]][-2:] == ["approved", "refunded"]
    assert Order.objects.get(order_no="DY1022").refund_state == "partial"
    assert ledger_drifts() == []


def test_rs09_evidence_pack_is_downloadable_as_json(demo, clock, api):
    """RS-09: the evidence pack (timeline, tracking, notifications) of a ticket, for the shop and the platform."""
    ticket = api("tok-buyer_ok").post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "reship",
                                                          "reason": "not_received"}, format="json").json()
    pack = api("tok-ops1").get(f"{BASE}tickets/{ticket['id']}/evidence/").json()
    assert pack["ticket"]["id"] == ticket["id"] and pack["timeline"][0]["type"] == "created"
    assert pack["order"]["parcels"][0]["tracking_no"] == "YT7310000009096"
    assert api("tok-pdd_admin").get(f"{BASE}tickets/{ticket['id']}/evidence/").status_code == 404
    assert api("tok-buyer_ok").get(f"{BASE}tickets/{ticket['id']}/evidence/").status_code == 403


def test_every_aftersales_endpoint_is_in_the_openapi_schema(db, api):
    """API.md: every endpoint appears in the OpenAPI schema."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("schema_reader", password="x", role="platform")
    client = api()
    client.force_authenticate(staff)
    schema = client.get(f"{BASE}schema/?format=json").json()
    paths = set(schema["paths"])
    for path in ("orders/{order_no}/aftersales-entry/", "orders/{order_no}/aftersales-entry/requests/", "tickets/",
                 "tickets/{id}/", "tickets/{id}/approve/", "tickets/{id}/reject/", "tickets/{id}/ship/",
                 "tickets/{id}/withdraw/", "tickets/{id}/modify/", "tickets/{id}/intervene/", "arbitrations/",
                 "arbitrations/{id}/decide/", "tickets/{id}/evidence/", "notifications/"):
        assert f"/api/v1/{path}" in paths, path


def test_ase_r02_limit_reached_through_the_api(demo, clock, api):
    """ASE-R02: the 6th application within the period answers `aftersales_application_limit_reached`."""
    buyer = api("tok-buyer_ok2")
    for _ in range(5):
        t = buyer.post(f"{BASE}tickets/", {"order_no": "DY1017", "type": "refund_only", "reason": "x",
                                           "amount": "1.00"}, format="json").json()
        buyer.post(f"{BASE}tickets/{t['id']}/withdraw/")
    response = buyer.post(f"{BASE}tickets/", {"order_no": "DY1017", "type": "refund_only", "reason": "x",
                                              "amount": "1.00"}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "aftersales_application_limit_reached"
    assert response.json()["rule"] == "ASE-R02"
    assert Ticket.objects.count() == 5
    assert Decimal(Order.objects.get(order_no="DY1017").paid_amount) > 0


def test_ase_r03_idempotency_key_replays_the_refund_and_moves_money_once(demo, clock, api):
    """ASE-R03 with API.md's Idempotency-Key: the same key and body return the first response again and refund
    once; another body under the key → 409 `idempotency_key_reused`; a key still running → 409 in use
    (core.idempotency, tested with threads in tests/payouts)."""
    from accounts.models import LedgerEntry

    buyer, shop = api("tok-buyer_ok"), api("tok-dy_admin")
    ticket = buyer.post(f"{BASE}tickets/", {"order_no": "DY1022", "type": "refund_only", "reason": "x",
                                            "amount": "20.00"}, format="json").json()
    url = f"{BASE}tickets/{ticket['id']}/approve/"
    first = shop.post(url, {"version": 1}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    again = shop.post(url, {"version": 1}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket["id"])).count() == 1
    reused = shop.post(url, {"version": 2}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    without_key = shop.post(url, {"version": 1}, format="json")
    assert without_key.status_code == 409 and without_key.json()["code"] == "ticket_version_stale"
    assert LedgerEntry.objects.filter(ref_type="ticket", ref_id=str(ticket["id"])).count() == 1
    assert ledger_drifts() == []
