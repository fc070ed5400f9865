"""POST payouts/ (API.md "Small payouts"): the payout as it reads, idempotency, malformed input and the
rule refusals with their codes (SPEC §4.1–§4.3, §4.7)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from core.clock import now
from payouts.models import Payout
from tests.payouts.api_support import BODY, PDD_BODY, at, balance, create, error_of, snapshot

pytestmark = pytest.mark.django_db


def test_pay_s01_post_payouts_creates_a_payout_submitted_at_once_holding_its_amount_once(demo, api):
    """PAY-S01 (revised): the payout is submitted at once (processing), its amount held once."""
    before = balance("dy")
    response = api("tok-dy_admin").post("/api/v1/payouts/", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    payout = Payout.objects.get()
    assert body["id"] == payout.pk
    assert body["order_no"] == "DY1001" and body["type"] == "shipping_fee" and body["amount"] == "12.50"
    assert body["status"] == "processing" and body["failure_reason"] == ""
    assert body["reason"] == "运费补偿" and body["buyer_message"] == "已为您补运费"
    assert body["pay_method"] == "balance" and body["scan_channel"] == "" and body["qr"] is None
    assert body["applicant"] == "dy_admin" and body["approved_by"] is None
    assert body["product_id"] == ""
    assert at(body["deadline"]) == payout.close_at and at(body["created_at"]) == payout.created_at
    assert body["cards"] == []
    assert [e["type"] for e in body["events"]] == ["created", "submitted"]
    assert body["events"][0]["actor"] == "dy_admin" and at(body["events"][0]["at"])
    assert body["return_due_at"] is None and body["returned_at"] is None
    assert balance("dy") == before - Decimal("12.50")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert ledger_drifts() == []


def test_pay_f02_payout_with_a_product_of_the_order(demo, api):
    body = create(api("tok-dy_admin"), product_id="DY-SH-001", type="price_difference")
    assert body["product_id"] == "DY-SH-001" and body["type"] == "price_difference"


def test_pay_f02_product_not_in_the_order_is_refused(demo, api):
    before = snapshot()
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "product_id": "NOPE"}, format="json")
    error_of(response, 422, "product_not_in_order", "PAY-F02")
    assert snapshot() == before


def test_pay_s02_pinduoduo_balance_payout_is_submitted_at_once(demo, api):
    body = create(api("tok-pdd_admin"), **PDD_BODY)
    assert body["status"] == "processing"
    assert [e["type"] for e in body["events"]] == ["created", "submitted"]


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
    before = snapshot()
    other = client.post("/api/v1/payouts/", {**BODY, "amount": "13.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    error_of(other, 409, "idempotency_key_reused")
    assert snapshot() == before


def test_idempotency_key_replays_a_refusal_too(demo, api):
    """PAY-L03 refusal stored under its key: the replay answers it again, even after the interval passed."""
    client = api("tok-dy_admin")
    create(client)
    first = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    error_of(first, 429, "order_payout_too_frequent", "PAY-L03")
    with time_machine.travel(now() + dt.timedelta(minutes=2)):
        again = client.post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert again.status_code == 429 and again.json() == first.json()
    assert Payout.objects.count() == 1


def test_idempotency_key_too_long_is_invalid(demo, api):
    response = api("tok-dy_admin").post("/api/v1/payouts/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert error_of(response, 400, "invalid")["fields"]
    assert Payout.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"reason": ""}, "reason"),
        ({"buyer_message": "   "}, "buyer_message"),
        ({"type": "bonus"}, "type"),
        ({"pay_method": "cash"}, "pay_method"),
        ({"pay_method": "scan"}, "scan_channel"),
        ({"pay_method": "scan", "scan_channel": "paypal"}, "scan_channel"),
        ({"reason": "x" * 256}, "reason"),
        ({"order_no": ""}, "order_no"),
    ],
)
def test_pay_f01_f03_malformed_input_is_400_invalid_with_fields(demo, api, change, field):
    before = snapshot()
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, **change}, format="json")
    body = error_of(response, 400, "invalid")
    assert field in body["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("missing", ["order_no", "type", "amount", "reason", "buyer_message"])
def test_pay_f02_f03_missing_fields_are_400_invalid(demo, api, missing):
    body = {k: v for k, v in BODY.items() if k != missing}
    response = api("tok-dy_admin").post("/api/v1/payouts/", body, format="json")
    assert missing in error_of(response, 400, "invalid")["fields"]
    assert Payout.objects.count() == 0


def test_malformed_json_is_400_invalid(demo, api):
    response = api("tok-dy_admin").post("/api/v1/payouts/", "{oops", content_type="application/json")
    error_of(response, 400, "invalid")


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_pay_l10_amount_not_positive_is_refused(demo, api, amount):
    before = snapshot()
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "amount": amount}, format="json")
    error_of(response, 422, "invalid_amount", "PAY-L10")
    assert snapshot() == before


def test_pay_l10_pinduoduo_minimum_is_one_yuan(demo, api):
    response = api("tok-pdd_admin").post("/api/v1/payouts/", {**PDD_BODY, "amount": "0.99"}, format="json")
    error_of(response, 422, "invalid_amount", "PAY-L10")


def test_pay_l03_second_payout_within_60s_answers_429(demo, api):
    client = api("tok-dy_admin")
    create(client)
    before = snapshot()
    response = client.post("/api/v1/payouts/", BODY, format="json")
    error_of(response, 429, "order_payout_too_frequent", "PAY-L03")
    assert snapshot() == before
    with time_machine.travel(now() + dt.timedelta(seconds=61)):
        assert client.post("/api/v1/payouts/", BODY, format="json").status_code == 201


@pytest.mark.parametrize(
    ("order_no", "code", "rule"),
    [
        ("DY1003", "order_source_not_supported", "PAY-E01"),
        ("DY1005", "order_not_paid_online", "PAY-E02"),
        ("DY1006", "order_too_old", "PAY-E03"),
        ("DY1010", "order_status_not_allowed", "PAY-E04"),
        ("DY1011", "local_life_not_supported", "PAY-E06"),
        ("DY1012", "cross_border_not_supported", "PAY-E07"),
    ],
)
def test_pay_e01_e07_ineligible_orders_answer_their_codes(demo, api, order_no, code, rule):
    before = snapshot()
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "order_no": order_no}, format="json")
    error_of(response, 422, code, rule)
    assert snapshot() == before


def test_pay_l01_order_payout_count_reached(demo, api, no_interval):
    client = api("tok-dy_admin")
    for _ in range(5):
        create(client, amount="1.00")
    response = client.post("/api/v1/payouts/", {**BODY, "amount": "1.00"}, format="json")
    body = error_of(response, 422, "order_payout_count_reached", "PAY-L01")
    assert "5" in body["message"]
    assert Payout.objects.count() == 5


def test_pay_l02_order_cap_500_exceeded(demo, api):
    before = snapshot()
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "order_no": "DY1025", "amount": "500.01"},
                                        format="json")
    error_of(response, 422, "order_payout_cap_exceeded", "PAY-L02")
    assert snapshot() == before


def test_pay_l04_paid_amount_exceeded(demo, api):
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "order_no": "DY1026", "amount": "9.91"},
                                        format="json")
    error_of(response, 422, "order_paid_amount_exceeded", "PAY-L04")
    assert Payout.objects.count() == 0


def test_pay_l06_douyin_sub_account_over_its_per_payout_limit(demo, api):
    response = api("tok-dy_cs1").post("/api/v1/payouts/", {**BODY, "amount": "50.01"}, format="json")
    error_of(response, 422, "quota_per_payout_exceeded", "PAY-L06")
    assert create(api("tok-dy_cs1"), amount="50.00")["applicant"] == "dy_cs1"


def test_pay_l08_douyin_sub_account_without_quota_answers_403(demo, api):
    before = snapshot()
    response = api("tok-dy_cs2").post("/api/v1/payouts/", BODY, format="json")
    error_of(response, 403, "no_payout_permission", "PAY-L08")
    assert snapshot() == before


def test_pay_q01_douyin_has_no_scan_to_pay(demo, api):
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "pay_method": "scan", "scan_channel": "wechat"},
                                        format="json")
    error_of(response, 422, "scan_not_supported", "PAY-Q01")
    assert Payout.objects.count() == 0


def test_pay_q01_pinduoduo_scan_payout_awaits_its_top_up_with_a_qr_and_holds_nothing(demo, api):
    before = balance("pdd")
    body = create(api("tok-pdd_admin"), **{**PDD_BODY, "pay_method": "scan", "scan_channel": "alipay"})
    payout = Payout.objects.get()
    assert body["status"] == "awaiting_top_up" and body["pay_method"] == "scan" and body["scan_channel"] == "alipay"
    assert body["qr"]["channel"] == "alipay" and body["qr"]["amount"] == "5.00" and body["qr"]["content"]
    assert at(body["qr"]["expires_at"]) == payout.top_up_deadline == at(body["deadline"])
    assert balance("pdd") == before and payout.held == 0


def test_pay_q03_q04_group_formed_months_ago_balance_refused_with_reasons(demo, api):
    before = snapshot()
    response = api("tok-pdd_admin").post("/api/v1/payouts/", {**PDD_BODY, "order_no": "PDD2003"}, format="json")
    body = error_of(response, 422, "balance_payment_not_allowed", "PAY-Q04")
    assert body["reasons"] == ["scan_only_age"]
    assert snapshot() == before
    scan = create(api("tok-pdd_admin"), **{**PDD_BODY, "order_no": "PDD2003", "pay_method": "scan",
                                          "scan_channel": "wechat"})
    assert scan["status"] == "awaiting_top_up"


def test_pay_q04_pinduoduo_sub_account_without_quota_is_offered_scan_or_request(demo, api):
    response = api("tok-pdd_cs2").post("/api/v1/payouts/", PDD_BODY, format="json")
    assert error_of(response, 422, "balance_payment_not_allowed", "PAY-Q04")["reasons"] == ["no_quota"]
    assert Payout.objects.count() == 0


def test_another_shops_order_is_404(demo, api):
    before = snapshot()
    response = api("tok-pdd_admin").post("/api/v1/payouts/", BODY, format="json")
    error_of(response, 404, "not_found")
    response = api("tok-dy_admin").post("/api/v1/payouts/", {**BODY, "order_no": "NOPE"}, format="json")
    error_of(response, 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("token", ["tok-buyer_ok", "tok-ops1"])
def test_only_shop_people_may_create_payouts(demo, api, token):
    response = api(token).post("/api/v1/payouts/", BODY, format="json")
    error_of(response, 403, "permission_denied")
    assert Payout.objects.count() == 0


def test_no_token_is_401(demo, api):
    error_of(api().post("/api/v1/payouts/", BODY, format="json"), 401, "not_authenticated")


def test_pay_s01_the_201_body_equals_the_payout_read_back(demo, api):
    """The create answer is built from the objects in hand; it must read exactly like GET payouts/{id}/."""
    for token, order_no in (("tok-dy_admin", "DY1001"), ("tok-pdd_admin", "PDD2001")):
        created = api(token).post("/api/v1/payouts/", {"order_no": order_no, "type": "shipping_fee", "amount": "5.00",
                                                       "reason": "运费", "buyer_message": "补运费"}, format="json")
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body == api(token).get(f"/api/v1/payouts/{body['id']}/").json()
