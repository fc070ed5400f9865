"""Reads of the payouts API: records with filters and CSV export (PAY-R01), the panel (PAY-F04, F05),
shop/balance `paid_out_today`, query counts of the lists and the OpenAPI schema."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.clock import now, shanghai_date
from orders.models import Order
from payouts.models import Payout, PayoutCard, PayoutEvent
from tests.payouts.api_support import BODY, PDD_BODY, create, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(demo, api, rail_busy):
    """Three Douyin payouts an hour apart (two applicants, one processing) and one Pinduoduo payout."""
    t0 = now().replace(microsecond=0)
    made = {}
    with time_machine.travel(t0, tick=False):
        made["p1"] = create(api("tok-dy_admin"), product_id="DY-SH-001")
    with time_machine.travel(t0 + dt.timedelta(hours=1), tick=False):
        made["p2"] = create(api("tok-dy_cs1"), order_no="DY1002", amount="20.00")
        assert api("tok-dy_admin").post(f"/api/v1/payouts/{made['p2']['id']}/continue/").status_code == 200
    with time_machine.travel(t0 + dt.timedelta(hours=2), tick=False):
        made["p3"] = create(api("tok-dy_admin"), order_no="DY1008", amount="30.00")
        made["pdd"] = create(api("tok-pdd_admin"), **PDD_BODY)
    return {"t0": t0, **{k: v["id"] for k, v in made.items()}}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [p["id"] for p in response.json()["results"]]


def test_pay_r01_list_shows_the_shops_records_newest_first(records, api):
    response = api("tok-dy_cs1").get("/api/v1/payouts/")
    assert _ids(response) == [records["p3"], records["p2"], records["p1"]]
    assert response.json()["count"] == 3 and response.json()["next"] is None
    assert _ids(api("tok-pdd_admin").get("/api/v1/payouts/")) == [records["pdd"]]


def test_pay_r01_filters(records, api):
    client = api("tok-dy_admin")
    iso = lambda t: t.isoformat()  # noqa: E731
    t0 = records["t0"]
    assert _ids(client.get("/api/v1/payouts/", {"order_no": "DY1001"})) == [records["p1"]]
    assert _ids(client.get("/api/v1/payouts/", {"order_no": "PDD2001"})) == []
    assert _ids(client.get("/api/v1/payouts/", {"product_id": "DY-SH-001"})) == [records["p1"]]
    assert _ids(client.get("/api/v1/payouts/", {"applicant": "dy_cs1"})) == [records["p2"]]
    assert _ids(client.get("/api/v1/payouts/", {"status": "processing"})) == [records["p2"]]
    assert _ids(client.get("/api/v1/payouts/", {"status": "pending"})) == [records["p3"], records["p1"]]
    assert _ids(client.get("/api/v1/payouts/", {"created_from": iso(t0 + dt.timedelta(minutes=30))})) == [
        records["p3"], records["p2"]]
    assert _ids(client.get("/api/v1/payouts/", {"created_to": iso(t0 + dt.timedelta(minutes=90))})) == [
        records["p2"], records["p1"]]
    assert _ids(client.get("/api/v1/payouts/", {
        "created_from": iso(t0 + dt.timedelta(minutes=30)), "created_to": iso(t0 + dt.timedelta(minutes=90)),
        "applicant": "dy_cs1", "status": "processing"})) == [records["p2"]]


@pytest.mark.parametrize("query", [{"status": "lost"}, {"created_from": "yesterday"}, {"created_to": "2026-13-01"}])
def test_pay_r01_malformed_filters_are_400_invalid(records, api, query):
    error_of(api("tok-dy_admin").get("/api/v1/payouts/", query), 400, "invalid")
    error_of(api("tok-dy_admin").get("/api/v1/payouts/", {**query, "format": "csv"}), 400, "invalid")


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_pay_r01_csv_export_respects_the_filters_and_has_stable_keys(records, api):
    rows = _csv(api("tok-dy_admin").get("/api/v1/payouts/", {"format": "csv", "applicant": "dy_admin"}))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["id", "order_no", "type", "amount", "status"]
    assert "applicant" in header and "created_at" in header
    assert [int(r[0]) for r in data] == [records["p3"], records["p1"]]
    first = dict(zip(header, data[1], strict=True))
    assert first["order_no"] == "DY1001" and first["amount"] == "12.50" and first["applicant"] == "dy_admin"
    assert first["product_id"] == "DY-SH-001" and first["status"] == "pending"
    assert dt.datetime.fromisoformat(first["created_at"]) == Payout.objects.get(pk=records["p1"]).created_at


def test_pay_r01_csv_export_has_every_matching_row_unpaginated_and_chinese_header_on_request(records, api):
    rows = _csv(api("tok-dy_admin").get("/api/v1/payouts/", {"format": "csv", "page_size": 1, "header": "zh"}))
    assert rows[0][:2] == ["打款ID", "订单号"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([records["p1"], records["p2"], records["p3"]])
    assert _csv(api("tok-pdd_admin").get("/api/v1/payouts/?format=csv"))[1][0] == str(records["pdd"])


def test_pay_r01_csv_is_for_shop_people_only(records, api):
    error_of(api("tok-buyer_ok").get("/api/v1/payouts/?format=csv"), 403, "permission_denied")


def _bulk_payouts(n: int) -> None:
    """n payouts of DY1001 written directly (a read test: no money moves), each with events and a card."""
    order = Order.objects.get(order_no="DY1001")
    applicant = User.objects.get(username="dy_cs1")
    approver = User.objects.get(username="dy_admin")
    at = now()
    payouts = Payout.objects.bulk_create([
        Payout(shop_id=order.shop_id, order=order, type="other", amount=Decimal("1.00"), status="failed",
               failure_reason="buyer_account_invalid", reason="r", buyer_message="m", applicant=applicant,
               approved_by=approver, counted=False, day=shanghai_date(at), created_at=at + dt.timedelta(seconds=i),
               close_at=at + dt.timedelta(days=7))
        for i in range(n)
    ])
    PayoutEvent.objects.bulk_create(
        [PayoutEvent(payout=p, type=t, actor=applicant, at=at) for p in payouts for t in ("created", "failed")]
    )
    PayoutCard.objects.bulk_create([
        PayoutCard(payout=p, token=f"tok{p.pk}", sent_at=at, expires_at=at + dt.timedelta(hours=72)) for p in payouts
    ])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_payout_list_and_detail_query_counts_do_not_grow_with_rows(demo, api):
    client = api("tok-dy_admin")
    client.get("/api/v1/shop/balance/")  # the token's last use is written at most once a minute (SEC-02)
    _bulk_payouts(2)
    few = _queries(client, "/api/v1/payouts/")
    _bulk_payouts(20)
    assert _queries(client, "/api/v1/payouts/") == few
    body = client.get("/api/v1/payouts/").json()
    assert body["count"] == 22 and len(body["results"][0]["events"]) == 2
    assert body["results"][0]["approved_by"] == "dy_admin" and body["results"][0]["cards"][0]["status"] == "sent"


def test_panel_shows_eligibility_remaining_and_platform_shipping_refunds_pay_f04_f05(demo, api):
    body = api("tok-dy_cs1").get("/api/v1/orders/DY1022/payout-panel/").json()
    assert body["order_no"] == "DY1022"
    assert body["eligible"] is True and body["ineligible"] == [] and body["problems"] == []
    assert [r["amount"] for r in body["platform_shipping_refunds"]] == ["8.00"]
    assert body["previous_payouts"] == [] and body["processing_warning"] is None
    assert body["remaining"] == {"order_count": 5, "order_amount": "90.00", "shop_daily": "15000.00",
                                 "my_per_payout": "50.00", "my_daily": "200.00"}
    assert body["balance_usable"] is True and body["balance_blocked_reasons"] == []
    assert body["available_balance"] == "19500.00" and body["scan_to_pay"] is False


def test_pay_f04_f05_panel_after_a_payout_lists_it_and_what_is_left(demo, api, rail_busy):
    created = create(api("tok-dy_cs1"), order_no="DY1022", amount="10.00")
    api("tok-dy_admin").post(f"/api/v1/payouts/{created['id']}/continue/")
    body = api("tok-dy_cs1").get("/api/v1/orders/DY1022/payout-panel/").json()
    assert [(p["id"], p["status"], p["amount"], p["applicant"]) for p in body["previous_payouts"]] == [
        (created["id"], "processing", "10.00", "dy_cs1")]
    assert body["previous_payouts"][0]["url"] == f"/api/v1/payouts/{created['id']}/"
    assert body["processing_warning"]["message"] == "该订单有打款中的记录,请勿重复打款"
    assert body["remaining"] == {"order_count": 4, "order_amount": "80.00", "shop_daily": "14990.00",
                                 "my_per_payout": "50.00", "my_daily": "190.00"}
    # The main account has no quota to respect: unlimited (null).
    admin = api("tok-dy_admin").get("/api/v1/orders/DY1022/payout-panel/").json()
    assert admin["remaining"]["my_per_payout"] is None and admin["remaining"]["my_daily"] is None
    # PAY-L03 within the minute: the panel lists it too.
    assert "order_payout_too_frequent" in admin["ineligible"]


def test_pay_e01_panel_lists_every_failing_rule_with_messages(demo, api):
    body = api("tok-dy_admin").get("/api/v1/orders/DY1003/payout-panel/", {"amount": "600.00"}).json()
    assert body["eligible"] is False
    assert body["ineligible"][0] == "order_source_not_supported"
    assert "order_payout_cap_exceeded" in body["ineligible"] and "order_paid_amount_exceeded" in body["ineligible"]
    problem = body["problems"][0]
    assert problem["rule"] == "PAY-E01" and problem["message"] and problem["message_en"]


def test_pay_l08_panel_of_a_douyin_sub_account_without_quota(demo, api):
    body = api("tok-dy_cs2").get("/api/v1/orders/DY1001/payout-panel/").json()
    assert body["ineligible"] == ["no_payout_permission"]
    assert body["remaining"]["my_per_payout"] == "0.00" and body["remaining"]["my_daily"] == "0.00"


def test_pay_q04_panel_says_why_the_balance_cannot_be_used(demo, api):
    body = api("tok-pdd_admin").get("/api/v1/orders/PDD2003/payout-panel/").json()
    assert body["balance_usable"] is False and body["balance_blocked_reasons"] == ["scan_only_age"]
    assert body["scan_to_pay"] is True
    cs2 = api("tok-pdd_cs2").get("/api/v1/orders/PDD2001/payout-panel/").json()
    assert cs2["balance_usable"] is False and "no_quota" in cs2["balance_blocked_reasons"]
    assert [r["amount"] for r in cs2["platform_shipping_refunds"]] == ["6.00"]


def test_panel_bad_amount_is_400_and_another_shops_order_404(demo, api):
    error_of(api("tok-dy_admin").get("/api/v1/orders/DY1001/payout-panel/", {"amount": "abc"}), 400, "invalid")
    error_of(api("tok-pdd_admin").get("/api/v1/orders/DY1001/payout-panel/"), 404, "not_found")
    error_of(api("tok-buyer_ok").get("/api/v1/orders/DY1001/payout-panel/"), 403, "permission_denied")


def test_shop_balance_paid_out_today_counts_todays_counted_payouts(demo, api):
    assert api("tok-dy_admin").get("/api/v1/shop/balance/").json()["paid_out_today"] == "0.00"
    create(api("tok-dy_admin"))
    create(api("tok-dy_admin"), order_no="DY1002", amount="7.50")
    body = api("tok-dy_cs1").get("/api/v1/shop/balance/").json()
    assert body["paid_out_today"] == "20.00" and body["balance"] == "19980.00"
    assert api("tok-pdd_admin").get("/api/v1/shop/balance/").json()["paid_out_today"] == "0.00"


def test_shop_balance_paid_out_today_leaves_out_top_up_failed(demo, api):
    """PAY-Q02: a top-up failed payout is never counted."""
    scan = create(api("tok-pdd_admin"), **{**PDD_BODY, "pay_method": "scan", "scan_channel": "wechat"})
    assert api("tok-pdd_admin").get("/api/v1/shop/balance/").json()["paid_out_today"] == "5.00"
    from core.clocks import run_all

    with time_machine.travel(now() + dt.timedelta(minutes=61)):
        run_all()
        assert Payout.objects.get(pk=scan["id"]).status == "top_up_failed"
        assert api("tok-pdd_admin").get("/api/v1/shop/balance/").json()["paid_out_today"] == "0.00"


PATHS = {
    "/api/v1/orders/{order_no}/payout-panel/": {"get"},
    "/api/v1/payouts/": {"get", "post"},
    "/api/v1/payouts/{payout_id}/": {"get"},
    "/api/v1/payouts/{payout_id}/continue/": {"post"},
    "/api/v1/sandbox/top-ups/{payout_id}/pay/": {"post"},
    "/api/v1/payouts/{payout_id}/resend-card/": {"post"},
    "/api/v1/payout-cards/{card_id}/": {"post"},
    "/api/v1/payout-requests/": {"get", "post"},
    "/api/v1/payout-requests/{request_id}/approve/": {"post"},
    "/api/v1/payout-requests/{request_id}/reject/": {"post"},
    "/api/v1/quotas/{username}/": {"get", "put"},
    "/api/v1/gateway/callback/": {"post"},
    "/api/v1/payout-notifications/": {"get"},
    "/api/v1/shop/balance/": {"get"},
}


def test_openapi_schema_lists_every_payouts_path_with_its_methods_and_responses(demo, api):
    schema = api("tok-dy_admin").get("/api/v1/schema/?format=json").json()
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["responses"], (path, method)
            if method in ("post", "put") and path not in {
                "/api/v1/payouts/{payout_id}/continue/", "/api/v1/sandbox/top-ups/{payout_id}/pay/",
                "/api/v1/payouts/{payout_id}/resend-card/", "/api/v1/payout-requests/{request_id}/approve/",
            }:
                assert "requestBody" in operation, (path, method)
    created = schema["paths"]["/api/v1/payouts/"]["post"]
    assert {"201", "400", "422", "429"} <= set(created["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in created["parameters"])
    assert BODY.keys() <= set(schema["components"]["schemas"]["PayoutInput"]["properties"])


def test_pay_r01_time_range_by_shanghai_calendar_day(demo, api):
    """A day given as YYYY-MM-DD is the Asia/Shanghai calendar day: 23:30 and 00:30 fall on two days."""
    from core.clock import SHANGHAI

    day = shanghai_date()
    late = dt.datetime.combine(day, dt.time(23, 30), tzinfo=SHANGHAI)
    with time_machine.travel(late, tick=False):
        p1 = create(api("tok-dy_admin"))["id"]
    with time_machine.travel(late + dt.timedelta(hours=1), tick=False):
        p2 = create(api("tok-dy_admin"), order_no="DY1002")["id"]
    client = api("tok-dy_admin")
    same = {"created_from": day.isoformat(), "created_to": day.isoformat()}
    assert _ids(client.get("/api/v1/payouts/", same)) == [p1]
    following = (day + dt.timedelta(days=1)).isoformat()
    assert _ids(client.get("/api/v1/payouts/", {"created_from": following, "created_to": following})) == [p2]
    assert _ids(client.get("/api/v1/payouts/", {"created_from": day.isoformat()})) == [p2, p1]
    error_of(client.get("/api/v1/payouts/", {"created_from": "2026-02-30"}), 400, "invalid")


def test_pay_r01_csv_export_neutralises_spreadsheet_formulas_and_reads_shanghai_time(demo, api):
    create(api("tok-dy_admin"), reason="=HYPERLINK(\"http://x\")", buyer_message="@SUM(1)")
    rows = _csv(api("tok-dy_admin").get("/api/v1/payouts/?format=csv"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["reason"] == "'=HYPERLINK(\"http://x\")" and row["buyer_message"] == "'@SUM(1)"
    assert row["created_at"].endswith("+08:00")


def test_pay_r01_time_filter_accepts_an_offset_whose_plus_was_not_url_encoded(records, api):
    from core.clock import SHANGHAI

    moment = (records["t0"] + dt.timedelta(minutes=30)).astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
    response = api("tok-dy_admin").get(f"/api/v1/payouts/?created_from={moment}+08:00")
    assert _ids(response) == [records["p3"], records["p2"]]
