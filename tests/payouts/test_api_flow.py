"""A payout's life through the API: detail, continue (PAY-S02), top-up (PAY-Q01, Q02), account cards
(PAY-C01..C04) and the messages (PAY-S04)."""

import datetime as dt

import pytest
import time_machine

from accounts.models import LedgerEntry
from accounts.selectors import ledger_drifts
from core.clock import now
from payouts.models import Payout, PayoutCard
from tests.payouts.api_support import PDD_BODY, at, balance, create, error_of, signed_callback, snapshot

pytestmark = pytest.mark.django_db


class RealRailProvider:
    """Stands for a real payment provider: the sandbox top-up path must not exist with it."""

    def submit(self, transfer) -> None:
        pass

    def query(self, ref):
        from payouts.provider import ProviderResult

        return ProviderResult("processing")


def _failed_pdd_payout(api) -> dict:
    """PDD2005's buyer has an invalid account: the provider reports the failure by a signed callback."""
    body = create(api("tok-pdd_admin"), **{**PDD_BODY, "order_no": "PDD2005"})
    assert body["status"] == "processing"
    response = signed_callback(api(), {"ref": f"PO{body['id']}-1", "status": "failed", "error_code": "ACCOUNT_INVALID"})
    assert response.status_code == 200, response.json()
    return api("tok-pdd_admin").get(f"/api/v1/payouts/{body['id']}/").json()


def test_pay_r02_detail_shows_the_payout_with_events(demo, api):
    created = create(api("tok-dy_admin"))
    body = api("tok-dy_cs1").get(f"/api/v1/payouts/{created['id']}/").json()
    assert body == created


def test_detail_of_another_shops_payout_is_404(demo, api):
    created = create(api("tok-dy_admin"))
    error_of(api("tok-pdd_admin").get(f"/api/v1/payouts/{created['id']}/"), 404, "not_found")
    error_of(api("tok-dy_admin").get("/api/v1/payouts/999999/"), 404, "not_found")


def test_pay_s02_continue_submits_a_pending_payout_without_a_second_debit(demo, api, rail_busy):
    client = api("tok-dy_admin")
    created = create(client)
    after_create = balance("dy")
    response = client.post(f"/api/v1/payouts/{created['id']}/continue/", HTTP_IDEMPOTENCY_KEY="c-1")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "processing"
    assert [e["type"] for e in body["events"]] == ["created", "submitted", "submission_refused", "continued"]
    assert body["events"][3]["actor"] == "dy_admin"
    assert at(body["deadline"]) == Payout.objects.get().close_at
    assert balance("dy") == after_create
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_HOLD).count() == 1
    assert ledger_drifts() == []


def test_pay_s02_continuing_a_payout_that_is_not_pending_answers_409(demo, api, rail_busy):
    client = api("tok-dy_admin")
    created = create(client)
    assert client.post(f"/api/v1/payouts/{created['id']}/continue/").status_code == 200
    before = snapshot()
    error_of(client.post(f"/api/v1/payouts/{created['id']}/continue/"), 409, "payout_not_pending", "PAY-S02")
    assert snapshot() == before


def test_continue_another_shops_payout_is_404(demo, api, rail_busy):
    created = create(api("tok-dy_admin"))
    before = snapshot()
    error_of(api("tok-pdd_admin").post(f"/api/v1/payouts/{created['id']}/continue/"), 404, "not_found")
    url = f"/api/v1/payouts/{created['id']}/continue/"
    first = api("tok-pdd_admin").post(url, HTTP_IDEMPOTENCY_KEY="c-404")
    again = api("tok-pdd_admin").post(url, HTTP_IDEMPOTENCY_KEY="c-404")
    error_of(again, 404, "not_found")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert snapshot() == before and Payout.objects.get().status == "pending"


def _scan_payout(api, channel="wechat") -> dict:
    return create(api("tok-pdd_admin"), **{**PDD_BODY, "pay_method": "scan", "scan_channel": channel})


def test_pay_q02_continue_answers_the_qr_again_within_the_hour(demo, api):
    created = _scan_payout(api)
    with time_machine.travel(now() + dt.timedelta(minutes=59)):
        response = api("tok-pdd_admin").post(f"/api/v1/payouts/{created['id']}/continue/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "awaiting_top_up"
    assert body["qr"] == created["qr"] and body["qr"]["channel"] == "wechat"
    assert body["events"][-1]["type"] == "top_up_continued"


def test_pay_q02_continue_after_the_hour_answers_top_up_window_closed(demo, api):
    created = _scan_payout(api)
    before = snapshot()
    with time_machine.travel(now() + dt.timedelta(minutes=61)):
        response = api("tok-pdd_admin").post(f"/api/v1/payouts/{created['id']}/continue/")
    error_of(response, 409, "top_up_window_closed", "PAY-Q02")
    assert snapshot() == before


def test_pay_q01_sandbox_top_up_pay_makes_the_payout_processing_without_touching_the_balance(demo, api):
    created = _scan_payout(api, "alipay")
    before = balance("pdd")
    response = api("tok-pdd_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/", HTTP_IDEMPOTENCY_KEY="t-1")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "processing" and body["qr"] is None
    assert [e["type"] for e in body["events"]] == ["created", "topped_up", "submitted"]
    assert balance("pdd") == before
    again = api("tok-pdd_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/", HTTP_IDEMPOTENCY_KEY="t-1")
    assert again.json() == body
    error_of(api("tok-pdd_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/"), 409,
             "payout_not_awaiting_top_up", "PAY-Q02")
    assert ledger_drifts() == []


def test_pay_q02_sandbox_top_up_after_the_window_is_refused(demo, api):
    created = _scan_payout(api)
    with time_machine.travel(now() + dt.timedelta(hours=2)):
        response = api("tok-pdd_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/")
    error_of(response, 409, "top_up_window_closed", "PAY-Q02")
    assert Payout.objects.get().status == "awaiting_top_up"


def test_sandbox_top_up_path_is_404_with_a_real_provider(demo, api, settings):
    created = _scan_payout(api)
    settings.PAYOUT_PROVIDER = "tests.payouts.test_api_flow.RealRailProvider"
    before = snapshot()
    error_of(api("tok-pdd_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/"), 404, "not_found")
    assert snapshot() == before


def test_sandbox_top_up_of_another_shops_payout_is_404(demo, api):
    created = _scan_payout(api)
    error_of(api("tok-dy_admin").post(f"/api/v1/sandbox/top-ups/{created['id']}/pay/"), 404, "not_found")
    assert Payout.objects.get().status == "awaiting_top_up"


def test_pay_c01_s04_failure_sends_a_card_and_messages(demo, api):
    body = _failed_pdd_payout(api)
    assert body["status"] == "failed" and body["failure_reason"] == "buyer_account_invalid"
    assert len(body["cards"]) == 1
    card = body["cards"][0]
    assert card["status"] == "sent" and card["account_masked"] == "" and at(card["expires_at"])
    assert set(card) >= {"id", "status", "expires_at", "account_masked"}
    station = api("tok-pdd_admin").get("/api/v1/payout-notifications/").json()
    assert station["count"] == 1
    assert station["results"][0]["channel"] == "station" and station["results"][0]["kind"] == "payout_failed"
    assert station["results"][0]["payout_id"] == body["id"] and station["results"][0]["order_no"] == "PDD2005"
    mine = api("tok-buyer_invalid").get("/api/v1/payout-notifications/").json()
    assert {n["channel"] for n in mine["results"]} == {"app", "chat"}
    assert api("tok-buyer_ok").get("/api/v1/payout-notifications/").json()["count"] == 0
    assert api("tok-dy_admin").get("/api/v1/payout-notifications/").json()["count"] == 0


def test_pay_s04_success_notifies_the_buyer_in_the_app_and_by_wechat(demo, api):
    created = create(api("tok-pdd_admin"), **PDD_BODY)
    assert signed_callback(api(), {"ref": f"PO{created['id']}-1", "status": "succeeded"}).status_code == 200
    mine = api("tok-buyer_ok").get("/api/v1/payout-notifications/").json()["results"]
    assert sorted(n["channel"] for n in mine) == ["app", "wechat"]
    assert all(n["title"] == "商家补偿转账通知" for n in mine)
    assert api("tok-pdd_admin").get("/api/v1/payout-notifications/").json()["count"] == 0


def test_notifications_are_for_shop_people_and_buyers_only(demo, api):
    error_of(api("tok-ops1").get("/api/v1/payout-notifications/"), 403, "permission_denied")


def test_pay_c02_c04_buyer_submits_the_card_and_sees_only_the_masked_account(demo, api):
    failed = _failed_pdd_payout(api)
    token = failed["cards"][0]["id"]
    account = "13812345678"
    response = api("tok-buyer_invalid").post(
        f"/api/v1/payout-cards/{token}/", {"channel": "alipay", "account": account, "name": "张三"}, format="json",
        HTTP_IDEMPOTENCY_KEY="card-1",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == token and body["status"] == "submitted" and body["payout_status"] == "processing"
    assert body["account_masked"] == "138****5678"
    assert account not in response.content.decode()
    detail = api("tok-pdd_admin").get(f"/api/v1/payouts/{failed['id']}/")
    assert account not in detail.content.decode()
    assert detail.json()["cards"][0]["account_masked"] == "138****5678"
    assert detail.json()["status"] == "processing" and detail.json()["failure_reason"] == ""
    listing = api("tok-pdd_admin").get("/api/v1/payouts/")
    assert account not in listing.content.decode()
    csv_export = api("tok-pdd_admin").get("/api/v1/payouts/?format=csv")
    assert account not in b"".join(csv_export.streaming_content).decode()


def test_pay_c02_card_retry_succeeds_by_callback(demo, api):
    failed = _failed_pdd_payout(api)
    token = failed["cards"][0]["id"]
    api("tok-buyer_invalid").post(f"/api/v1/payout-cards/{token}/",
                                  {"channel": "bank_card", "account": "6222 0212 3456 7890", "name": "张三"},
                                  format="json")
    assert signed_callback(api(), {"ref": f"PO{failed['id']}-2", "status": "succeeded"}).status_code == 200
    payout = Payout.objects.get()
    assert payout.status == "succeeded"
    assert PayoutCard.objects.get().account_for_retry == ""  # PAY-C04: wiped once settled
    assert ledger_drifts() == []


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "wechat", "account": "13812345678", "name": "张三"},
        {"channel": "bank_card", "account": "12ab", "name": "张三"},
        {"channel": "alipay", "account": "", "name": "张三"},
        {"channel": "alipay", "account": "13812345678"},
    ],
)
def test_pay_c02_malformed_card_is_400_invalid(demo, api, body):
    failed = _failed_pdd_payout(api)
    before = snapshot()
    response = api("tok-buyer_invalid").post(f"/api/v1/payout-cards/{failed['cards'][0]['id']}/", body, format="json")
    error_of(response, 400, "invalid")
    assert snapshot() == before


def test_pay_c03_expired_card_answers_410(demo, api):
    failed = _failed_pdd_payout(api)
    before = snapshot()
    with time_machine.travel(now() + dt.timedelta(hours=73)):
        response = api("tok-buyer_invalid").post(f"/api/v1/payout-cards/{failed['cards'][0]['id']}/",
                                                 {"channel": "alipay", "account": "a@b.cn", "name": "张三"},
                                                 format="json")
    error_of(response, 410, "card_expired", "PAY-C03")
    assert snapshot() == before


def test_card_of_another_buyer_is_404_and_shop_people_cannot_submit(demo, api):
    failed = _failed_pdd_payout(api)
    url = f"/api/v1/payout-cards/{failed['cards'][0]['id']}/"
    body = {"channel": "alipay", "account": "a@b.cn", "name": "张三"}
    before = snapshot()
    error_of(api("tok-buyer_ok").post(url, body, format="json"), 404, "not_found")
    error_of(api("tok-pdd_admin").post(url, body, format="json"), 403, "permission_denied")
    error_of(api("tok-buyer_invalid").post("/api/v1/payout-cards/nope/", body, format="json"), 404, "not_found")
    assert snapshot() == before


def test_pay_c03_resend_card_expires_the_previous_one(demo, api):
    failed = _failed_pdd_payout(api)
    old = failed["cards"][0]["id"]
    response = api("tok-pdd_admin").post(f"/api/v1/payouts/{failed['id']}/resend-card/", HTTP_IDEMPOTENCY_KEY="r-1")
    assert response.status_code == 201, response.json()
    cards = {c["id"]: c["status"] for c in response.json()["cards"]}
    assert cards[old] == "expired" and list(cards.values()).count("sent") == 1
    assert response.json()["events"][-1]["type"] == "card_sent"
    assert response.json()["events"][-1]["actor"] == "pdd_admin"
    error_of(api("tok-buyer_invalid").post(f"/api/v1/payout-cards/{old}/",
                                           {"channel": "alipay", "account": "a@b.cn", "name": "张三"}, format="json"),
             410, "card_expired", "PAY-C03")


def test_pay_c03_no_card_for_a_payout_that_has_not_failed(demo, api):
    created = create(api("tok-pdd_admin"), **PDD_BODY)
    before = snapshot()
    error_of(api("tok-pdd_admin").post(f"/api/v1/payouts/{created['id']}/resend-card/"), 409, "card_not_available",
             "PAY-C03")
    error_of(api("tok-dy_admin").post(f"/api/v1/payouts/{created['id']}/resend-card/"), 404, "not_found")
    assert snapshot() == before
