"""REST endpoints of parcel interception (API.md "Parcel interception")."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from logistics.models import Claim, Interception, InterceptionContract

pytestmark = pytest.mark.django_db


def test_int_03_int_04_api_opens_contracts_yto_active_jt_pending_and_outlet_reviews(demo, api):
    admin = api("tok-dy_admin")
    response = admin.post("/api/v1/interception-contracts/", {"courier": "yto", "outlets": ["yto-hz-01"],
                                                              "agreed_price": "2.50"}, format="json")
    assert response.status_code == 201, response.json()
    [yto] = response.json()
    assert (yto["status"], yto["agreed_price"], yto["outlet"]) == ("active", "2.50", "yto-hz-01")
    response = admin.post("/api/v1/interception-contracts/", {"courier": "jt", "outlets": ["jt-gz-01"],
                                                              "agreed_price": "2.00"}, format="json")
    [jt] = response.json()
    assert jt["status"] == "pending_review"
    # Only the contract's outlet sees and reviews it.
    assert api("tok-jt_sz_02_user").post(f"/api/v1/interception-contracts/{jt['id']}/approve/").status_code == 404
    assert api("tok-dy_admin").post(f"/api/v1/interception-contracts/{jt['id']}/approve/").status_code == 403
    outlet = api("tok-jt_gz_01_user")
    assert [c["id"] for c in outlet.get("/api/v1/interception-contracts/").json()["results"]] == [jt["id"]]
    bad = outlet.post(f"/api/v1/interception-contracts/{jt['id']}/reject/", {}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    rejected = outlet.post(f"/api/v1/interception-contracts/{jt['id']}/reject/", {"reason": "价格未谈妥"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "价格未谈妥"
    again = outlet.post(f"/api/v1/interception-contracts/{jt['id']}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "contract_not_pending"


def test_int_05_api_refuses_outlet_without_e_waybill(demo, api):
    response = api("tok-dy_admin").post("/api/v1/interception-contracts/", {
        "courier": "yto", "outlets": ["yto-sh-02"], "agreed_price": "2.00"}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "outlet_without_e_waybill" and response.json()["rule"] == "INT-05"
    assert not InterceptionContract.objects.exists()


def test_int_03_api_contract_input_is_validated_and_main_account_only(demo, api):
    admin = api("tok-dy_admin")
    # A well-formed outlet code naming no outlet is 404, as any unknown object (the schema cannot list them).
    unknown = admin.post("/api/v1/interception-contracts/", {"courier": "yto", "outlets": ["nope"],
                                                             "agreed_price": "2"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["fields"] == {"outlets": ["unknown outlet: nope"]}
    for body in ({"courier": "sf", "outlets": ["yto-hz-01"], "agreed_price": "2"},
                 {"courier": "yto", "outlets": ["yto-hz-01"], "agreed_price": "-1"},
                 {"courier": "yto", "outlets": ["yto-hz-01"], "agreed_price": "2.001"},
                 {"courier": "yto", "outlets": [], "agreed_price": "2"}):
        response = admin.post("/api/v1/interception-contracts/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid", body
    response = api("tok-dy_cs1").post("/api/v1/interception-contracts/", {
        "courier": "yto", "outlets": ["yto-hz-01"], "agreed_price": "2"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "main_account_only"
    assert not InterceptionContract.objects.exists()


def test_int_07_api_panel_shows_parcels_goods_and_fee(make_ticket, api):
    ticket = make_ticket("DY1027")
    panel = api("tok-dy_cs1").get(f"/api/v1/tickets/{ticket.pk}/intercept/").json()
    assert panel["available"] is True and panel["online_fee"] == "3.00"
    assert [p["tracking_no"] for p in panel["parcels"]] == ["YT7310000012507", "YT7310000013644"]
    assert all(p["interceptable"] for p in panel["parcels"])
    assert panel["goods"] and panel["goods"][0]["price"]
    assert api("tok-pdd_admin").get(f"/api/v1/tickets/{ticket.pk}/intercept/").status_code == 404


def test_int_07_api_intercept_double_click_answers_409_and_charges_once(make_ticket, api, run_clocks):
    ticket = make_ticket("DY1001")
    client = api("tok-dy_cs1")
    body = {"parcels": ["YT7310000001137"], "mode": "online"}
    first = client.post(f"/api/v1/tickets/{ticket.pk}/intercept/", body, format="json")
    assert first.status_code == 201, first.json()
    [interception] = first.json()
    assert (interception["status"], interception["settlement"], interception["platform_fee"]) == (
        "requested", "online", "3.00")
    assert interception["agreed_price"] is None
    second = client.post(f"/api/v1/tickets/{ticket.pk}/intercept/", body, format="json")
    assert second.status_code == 409 and second.json()["code"] == "interception_already_requested"
    run_clocks()
    detail = client.get(f"/api/v1/interceptions/{interception['id']}/").json()
    assert detail["status"] == "succeeded" and detail["succeeded_at"]
    assert [e["type"] for e in detail["events"]] == ["created", "submitted", "intercepted"]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    assert ledger_drifts() == []


def test_int_01_int_03_api_refusals(make_ticket, api):
    client = api("tok-dy_cs1")
    signed = make_ticket("DY1022")
    response = client.post(f"/api/v1/tickets/{signed.pk}/intercept/", {"parcels": ["YT7310000009096"],
                                                                       "mode": "online"}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "interception_not_available"
    ticket = make_ticket("DY1003")
    response = client.post(f"/api/v1/tickets/{ticket.pk}/intercept/", {"parcels": ["JT5280000002053"],
                                                                       "mode": "offline"}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "no_active_contract"
    response = client.post(f"/api/v1/tickets/{ticket.pk}/intercept/", {"parcels": [], "mode": "later"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"parcels", "mode"}
    assert not Interception.objects.exists()


def test_int_08_api_records_filter_and_export_respects_the_filters(make_ticket, api, user, run_clocks):
    from logistics.services import contract_open, interception_request
    from orders.models import Outlet

    contract_open(shop=user("dy_admin").shop, courier="yto", outlets=list(Outlet.objects.filter(code="yto-hz-01")),
                  agreed_price=Decimal("2.40"), actor=user("dy_admin"))
    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="offline",
                         actor=user("dy_cs1"))
    interception_request(ticket=make_ticket("DY1003"), tracking_nos=["JT5280000002053"], mode="online",
                         actor=user("dy_cs1"))
    interception_request(ticket=make_ticket("PDD2006"), tracking_nos=["YT7310000018192"], mode="online",
                         actor=user("pdd_cs1"))
    client = api("tok-dy_cs1")
    listed = client.get("/api/v1/interceptions/").json()
    assert listed["count"] == 2  # the other shop's interception is not listed
    offline = client.get("/api/v1/interceptions/?settlement=offline").json()["results"]
    assert [(i["tracking_no"], i["agreed_price"], i["platform_fee"]) for i in offline] == [
        ("YT7310000001137", "2.40", "0.00")]
    assert [i["tracking_no"] for i in client.get("/api/v1/interceptions/?courier=jt").json()["results"]] == [
        "JT5280000002053"]
    assert client.get("/api/v1/interceptions/?status=succeeded").json()["count"] == 0
    today = timezone.localdate()
    assert client.get(f"/api/v1/interceptions/?created_from={today}&created_to={today}").json()["count"] == 2
    assert client.get(f"/api/v1/interceptions/?created_from={today + dt.timedelta(days=1)}").json()["count"] == 0
    assert client.get("/api/v1/interceptions/?settlement=cash").status_code == 400

    exported = client.get("/api/v1/interceptions/?format=csv&settlement=offline")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and "YT7310000001137" in rows[1] and "2.40" in rows[1]
    assert "运单号" in rows[0]
    everything = list(csv.reader(io.StringIO(b"".join(client.get("/api/v1/interceptions/?format=csv")
                                                      .streaming_content).decode("utf-8-sig"))))
    assert len(everything) == 3

    xlsx = client.get("/api/v1/interceptions/?format=xlsx&courier=jt")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and "JT5280000002053" in values[1]

    outlet_rows = api("tok-yto_hz_01_user").get("/api/v1/interceptions/").json()["results"]
    assert {i["tracking_no"] for i in outlet_rows} == {"YT7310000001137", "YT7310000018192"}


def test_int_07_int_09_api_return_result_claim_decide_confirm_no_ledger(make_ticket, api, run_clocks):
    ticket = make_ticket("DY1001")
    [interception] = api("tok-dy_cs1").post(f"/api/v1/tickets/{ticket.pk}/intercept/", {
        "parcels": ["YT7310000001137"], "mode": "online"}, format="json").json()
    run_clocks()
    pk = interception["id"]
    assert api("tok-jt_gz_01_user").post(f"/api/v1/interceptions/{pk}/return-result/", {"outcome": "lost"},
                                         format="json").status_code == 404
    assert api("tok-dy_cs1").post(f"/api/v1/interceptions/{pk}/return-result/", {"outcome": "lost"},
                                  format="json").status_code == 403
    reported = api("tok-yto_hz_01_user").post(f"/api/v1/interceptions/{pk}/return-result/", {"outcome": "damaged"},
                                              format="json")
    assert reported.status_code == 200 and reported.json()["status"] == "return_failed"
    entries = LedgerEntry.objects.count()
    shop = api("tok-dy_cs1")
    early = shop.post(f"/api/v1/interceptions/{pk}/claims/", {"kind": "damaged", "amount": "50.00"}, format="json")
    assert early.status_code == 422 and early.json()["code"] == "claim_window_not_open"
    succeeded_at = Interception.objects.get(pk=pk).succeeded_at
    with time_machine.travel(succeeded_at + dt.timedelta(days=10), tick=False):
        too_much = shop.post(f"/api/v1/interceptions/{pk}/claims/", {"kind": "damaged", "amount": "1000.01"},
                             format="json")
        assert too_much.status_code == 422 and too_much.json()["code"] == "claim_amount_exceeds_limit"
        filed = shop.post(f"/api/v1/interceptions/{pk}/claims/", {"kind": "damaged", "amount": "80.00"}, format="json")
        assert filed.status_code == 201, filed.json()
        claim = filed.json()
        assert (claim["status"], claim["compensation"]) == ("filed", None)
        staff = api("tok-ops1")
        assert [c["id"] for c in staff.get("/api/v1/claims/").json()["results"]] == [claim["id"]]
        assert api("tok-pdd_admin").get("/api/v1/claims/").json()["count"] == 0
        assert shop.post(f"/api/v1/claims/{claim['id']}/decide/", {"outcome": "reject"},
                         format="json").status_code == 403
        missing = staff.post(f"/api/v1/claims/{claim['id']}/decide/", {"outcome": "approve"}, format="json")
        assert missing.status_code == 400
        decided = staff.post(f"/api/v1/claims/{claim['id']}/decide/", {"outcome": "approve", "compensation": "60.00",
                                                                       "note": "部分损坏"}, format="json")
        assert decided.status_code == 200 and decided.json()["status"] == "approved"
        assert decided.json()["compensation"] == "60.00"
        paid = shop.post(f"/api/v1/claims/{claim['id']}/confirm-paid/")
        assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert Claim.objects.get().status == "paid"
    assert LedgerEntry.objects.count() == entries  # the courier pays offline
    assert ledger_drifts() == []


def test_int_06_api_rule_put_by_main_account_only_and_preview(make_ticket, api):
    make_ticket("DY1027")
    assert api("tok-dy_cs1").get("/api/v1/assistant-rules/auto-intercept/").json()["enabled"] is False
    refused = api("tok-dy_cs1").put("/api/v1/assistant-rules/auto-intercept/", {"enabled": True}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "main_account_only"
    done = api("tok-dy_admin").put("/api/v1/assistant-rules/auto-intercept/", {"enabled": True}, format="json")
    assert done.status_code == 200 and done.json()["enabled"] is True and done.json()["updated_by"] == "dy_admin"
    assert api("tok-pdd_admin").get("/api/v1/assistant-rules/auto-intercept/").json()["enabled"] is False
    preview = api("tok-dy_cs1").get("/api/v1/assistant-rules/auto-intercept/preview/").json()
    assert preview["tickets"] == 1 and preview["would_intercept_online"] == 2 and preview["online_fees"] == "6.00"
    assert api("tok-dy_admin").put("/api/v1/assistant-rules/auto-intercept/", {"enabled": "x"},
                                   format="json").status_code == 400


def test_interception_endpoints_are_in_the_openapi_schema(demo, api):
    schema = api("tok-dy_admin").get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/interception-contracts/", "/api/v1/interception-contracts/{id}/approve/",
                 "/api/v1/interception-contracts/{id}/reject/", "/api/v1/tickets/{id}/intercept/",
                 "/api/v1/interceptions/", "/api/v1/interceptions/{id}/claims/", "/api/v1/claims/",
                 "/api/v1/claims/{id}/decide/", "/api/v1/claims/{id}/confirm-paid/",
                 "/api/v1/assistant-rules/auto-intercept/", "/api/v1/interceptions/{id}/return-result/"):
        assert path in schema["paths"], path


def test_int_07_api_idempotency_key_replays_the_first_response_and_charges_once(make_ticket, api, run_clocks):
    ticket = make_ticket("DY1001")
    client = api("tok-dy_cs1")
    url, body = f"/api/v1/tickets/{ticket.pk}/intercept/", {"parcels": ["YT7310000001137"], "mode": "online"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="click-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="click-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    reused = client.post(url, {"parcels": ["YT7310000001137"], "mode": "offline"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="click-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    run_clocks()
    assert Interception.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE).count() == 1
    assert ledger_drifts() == []


def _signed(client, body: dict, secret: str = "test-courier-secret", timestamp: str | None = None):
    import json
    import time

    from logistics.adapters import courier_callback_signature

    raw = json.dumps(body).encode()
    timestamp = timestamp or str(int(time.time()))
    signature = courier_callback_signature(timestamp=timestamp, body=raw, secret=secret)
    return client.post("/api/v1/courier/callback/", raw, content_type="application/json",
                       HTTP_X_COURIER_TIMESTAMP=timestamp, HTTP_X_COURIER_SIGNATURE=signature)


def test_int_07_signed_courier_callback_applies_once_and_refuses_unsigned(make_ticket, api, user, settings, fees):
    from logistics.services import interception_request

    settings.COURIER_CALLBACK_SECRET = "test-courier-secret"
    [interception] = interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"],
                                          mode="online", actor=user("dy_cs1"))
    anonymous = api()
    body = {"interception": interception.pk, "event": "intercepted"}
    assert _signed(anonymous, body, secret="wrong").status_code == 403
    assert _signed(anonymous, body, timestamp="1000").status_code == 403  # stale
    assert fees() == []
    first = _signed(anonymous, body)
    assert first.status_code == 200 and first.json() == {"applied": True}
    again = _signed(anonymous, body)
    assert again.status_code == 200 and again.json() == {"applied": False}
    late_failure = _signed(anonymous, {"interception": interception.pk, "event": "failed"})
    assert late_failure.json() == {"applied": False}
    interception.refresh_from_db()
    assert interception.status == "succeeded"
    assert len(fees()) == 1
    assert _signed(anonymous, {"interception": interception.pk, "event": "returned"}).json() == {"applied": True}
    interception.refresh_from_db()
    assert interception.status == "returned"
    assert ledger_drifts() == []


def test_courier_callback_is_disabled_without_a_secret(make_ticket, api, settings):
    settings.COURIER_CALLBACK_SECRET = None
    assert _signed(api(), {"interception": 1, "event": "intercepted"}, secret="").status_code == 403


def test_int_02_records_show_the_fee_charged_only_for_successes(make_ticket, api, user, run_clocks):
    from logistics.services import interception_request
    from orders.models import Parcel

    interception_request(ticket=make_ticket("DY1001"), tracking_nos=["YT7310000001137"], mode="online",
                         actor=user("dy_cs1"))
    interception_request(ticket=make_ticket("DY1003"), tracking_nos=["JT5280000002053"], mode="online",
                         actor=user("dy_cs1"))
    Parcel.objects.filter(tracking_no="JT5280000002053").update(status=Parcel.Status.SIGNED)
    run_clocks()
    rows = {i["tracking_no"]: i for i in api("tok-dy_admin").get("/api/v1/interceptions/").json()["results"]}
    assert (rows["YT7310000001137"]["status"], rows["YT7310000001137"]["fee_charged"]) == ("succeeded", "3.00")
    assert (rows["JT5280000002053"]["status"], rows["JT5280000002053"]["fee_charged"]) == ("failed", "0.00")
    assert rows["JT5280000002053"]["failure_reason"] == "parcel_already_signed"
    charged = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTERCEPTION_FEE)
    assert sum(-e.balance_delta for e in charged) == Decimal("3.00")


@pytest.mark.parametrize("timestamp", ["9" * 400, "-5", "1e9", "１２３", ""])
def test_sec04_malformed_courier_timestamps_are_403_not_500(make_ticket, api, settings, timestamp):
    """SEC-04: a 400-digit (or otherwise malformed) X-Courier-Timestamp is refused, never an OverflowError 500."""
    settings.COURIER_CALLBACK_SECRET = "test-courier-secret"
    response = api().post("/api/v1/courier/callback/", {"interception": 1, "event": "intercepted"}, format="json",
                          HTTP_X_COURIER_TIMESTAMP=timestamp, HTTP_X_COURIER_SIGNATURE="0" * 64)
    assert response.status_code == 403
