"""Approval requests (PAY-A01..A03) and quotas (客服打款配额, PAY-L06..L08) through the API."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, PayoutQuota
from accounts.selectors import ledger_drifts
from payouts.models import Payout, PayoutRequest
from tests.payouts.api_support import BODY, PDD_BODY, balance, create, error_of, snapshot

pytestmark = pytest.mark.django_db


def _request(client, **overrides) -> dict:
    response = client.post("/api/v1/payout-requests/", {**BODY, **overrides}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_pay_a01_sub_account_without_quota_sends_a_request_holding_nothing(demo, api):
    before = snapshot()
    body = _request(api("tok-dy_cs2"), amount="80.00")
    assert body["status"] == "pending" and body["requester"] == "dy_cs2" and body["amount"] == "80.00"
    assert body["order_no"] == "DY1001" and body["payout_id"] is None and body["decided_by"] is None
    assert body["reason"] == BODY["reason"] and body["buyer_message"] == BODY["buyer_message"]
    after = snapshot()
    assert after[0] == before[0] and after[5:] == before[5:]  # no payout, no ledger entry, balances as they were
    assert PayoutRequest.objects.count() == 1


def test_pay_a01_request_for_an_ineligible_order_is_refused(demo, api):
    before = snapshot()
    error_of(api("tok-dy_cs2").post("/api/v1/payout-requests/", {**BODY, "order_no": "DY1003"}, format="json"),
             422, "order_source_not_supported", "PAY-E01")
    error_of(api("tok-dy_cs2").post("/api/v1/payout-requests/", {**BODY, "amount": "x"}, format="json"), 400, "invalid")
    error_of(api("tok-dy_cs2").post("/api/v1/payout-requests/", {**BODY, "order_no": "PDD2001"}, format="json"),
             404, "not_found")
    assert snapshot() == before


def test_pay_l10_request_with_an_amount_below_the_minimum_is_refused(demo, api):
    before = snapshot()
    error_of(api("tok-dy_cs2").post("/api/v1/payout-requests/", {**BODY, "amount": "0.00"}, format="json"),
             422, "invalid_amount", "PAY-L10")
    assert snapshot() == before


def test_pay_a03_requester_sees_only_their_own_the_main_account_all(demo, api):
    mine = _request(api("tok-dy_cs2"))
    theirs = _request(api("tok-dy_cs1"), order_no="DY1002")
    pdd = _request(api("tok-pdd_cs2"), **PDD_BODY)
    assert [r["id"] for r in api("tok-dy_cs2").get("/api/v1/payout-requests/").json()["results"]] == [mine["id"]]
    assert [r["id"] for r in api("tok-dy_admin").get("/api/v1/payout-requests/").json()["results"]] == [
        theirs["id"], mine["id"]]
    assert [r["id"] for r in api("tok-pdd_admin").get("/api/v1/payout-requests/").json()["results"]] == [pdd["id"]]
    # another operator's request answers as if it did not exist
    error_of(api("tok-dy_cs2").post(f"/api/v1/payout-requests/{theirs['id']}/reject/", {"reason": "x"}, format="json"),
             404, "not_found")


def test_pay_a02_main_account_approves_the_payout_applicant_is_the_requester(demo, api, rail_busy):
    request = _request(api("tok-dy_cs1"), amount="80.00")  # over dy_cs1's 50.00 per payout: not re-checked
    before = balance("dy")
    response = api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/", HTTP_IDEMPOTENCY_KEY="a-1")
    assert response.status_code == 201, response.json()
    payout = response.json()
    assert payout["applicant"] == "dy_cs1" and payout["approved_by"] == "dy_admin"
    assert payout["status"] == "pending" and payout["amount"] == "80.00"
    assert balance("dy") == before - Decimal("80.00")
    assert Payout.objects.get().quota_user is None  # counts against neither one's quota
    again = api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/", HTTP_IDEMPOTENCY_KEY="a-1")
    assert again.status_code == 201 and again.json() == payout
    assert Payout.objects.count() == 1 and LedgerEntry.objects.filter(kind="payout_hold").count() == 1
    listed = api("tok-dy_cs1").get("/api/v1/payout-requests/", {"status": "approved"}).json()["results"]
    assert [(r["id"], r["payout_id"], r["decided_by"]) for r in listed] == [(request["id"], payout["id"], "dy_admin")]
    assert listed[0]["payout_status"] == "pending" and listed[0]["order_has_payouts"] is True
    assert api("tok-dy_cs1").get("/api/v1/payout-requests/", {"status": "pending"}).json()["count"] == 0
    assert ledger_drifts() == []


def test_pay_a02_deciding_a_request_twice_answers_409(demo, api):
    request = _request(api("tok-dy_cs2"))
    assert api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/").status_code == 201
    before = snapshot()
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/"), 409,
             "request_not_pending", "PAY-A02")
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/reject/", {"reason": "no"},
                                      format="json"), 409, "request_not_pending", "PAY-A02")
    assert snapshot() == before


def test_pay_a02_failed_recheck_answers_the_rules_code_and_leaves_the_request_pending(demo, api):
    request = _request(api("tok-dy_cs2"), amount="159.01")  # over DY1001's paid 159.00
    before = snapshot()
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/"), 422,
             "order_paid_amount_exceeded", "PAY-L04")
    assert snapshot() == before
    assert PayoutRequest.objects.get().status == "pending"


def test_pay_a02_only_the_main_account_decides_and_never_its_own_request(demo, api):
    theirs = _request(api("tok-dy_cs2"))
    own = _request(api("tok-dy_admin"), order_no="DY1002")
    before = snapshot()
    error_of(api("tok-dy_cs2").post(f"/api/v1/payout-requests/{theirs['id']}/approve/"), 403,
             "request_approver_only", "PAY-A02")
    error_of(api("tok-dy_cs1").post(f"/api/v1/payout-requests/{theirs['id']}/approve/"), 404, "not_found")  # PAY-A03
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{own['id']}/approve/"), 403,
             "request_self_approval", "PAY-A02")
    error_of(api("tok-pdd_admin").post(f"/api/v1/payout-requests/{theirs['id']}/approve/"), 404, "not_found")
    assert snapshot() == before


def test_pay_a02_pinduoduo_customer_service_admin_approves(demo, api):
    request = _request(api("tok-pdd_cs2"), **PDD_BODY)
    response = api("tok-pdd_lead").post(f"/api/v1/payout-requests/{request['id']}/approve/")
    assert response.status_code == 201, response.json()
    assert response.json()["approved_by"] == "pdd_lead" and response.json()["applicant"] == "pdd_cs2"


def test_pay_a02_reject_with_a_reason(demo, api):
    request = _request(api("tok-dy_cs2"))
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/reject/", {}, format="json"),
             400, "invalid")
    response = api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/reject/", {"reason": "金额不对"},
                                        format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "rejected" and body["reject_reason"] == "金额不对" and body["decided_by"] == "dy_admin"
    assert Payout.objects.count() == 0
    assert api("tok-dy_cs2").get("/api/v1/payout-requests/", {"status": "rejected"}).json()["count"] == 1
    error_of(api("tok-dy_admin").get("/api/v1/payout-requests/", {"status": "maybe"}), 400, "invalid")


def test_pay_a02_approver_sees_the_duplicate_warning(demo, api):
    create(api("tok-dy_admin"))
    request = _request(api("tok-dy_cs2"))
    other = _request(api("tok-dy_cs2"), order_no="DY1002")
    listed = {r["id"]: r["order_has_payouts"] for r in api("tok-dy_admin").get("/api/v1/payout-requests/").json()["results"]}
    assert listed == {request["id"]: True, other["id"]: False}


# ---------------------------------------------------------------------------------------------- quotas


def test_quota_get_by_the_main_account_and_by_the_sub_account_itself(demo, api):
    body = api("tok-dy_admin").get("/api/v1/quotas/dy_cs1/").json()
    assert body["username"] == "dy_cs1" and body["per_payout"] == "50.00" and body["daily"] == "200.00"
    assert body["enabled"] is True and body["configured"] is True
    assert api("tok-dy_cs1").get("/api/v1/quotas/dy_cs1/").json() == body
    none = api("tok-dy_admin").get("/api/v1/quotas/dy_cs2/").json()
    assert none["configured"] is False and none["enabled"] is False
    error_of(api("tok-dy_cs1").get("/api/v1/quotas/dy_cs2/"), 403, "permission_denied")
    error_of(api("tok-pdd_admin").get("/api/v1/quotas/dy_cs1/"), 404, "not_found")


def test_pay_l06_quota_put_null_is_unlimited(demo, api):
    response = api("tok-dy_admin").put("/api/v1/quotas/dy_cs1/", {"per_payout": None, "daily": "500.00",
                                                                  "enabled": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["per_payout"] is None and response.json()["daily"] == "500.00"
    assert create(api("tok-dy_cs1"), amount="120.00")["applicant"] == "dy_cs1"


def test_pay_l08_quota_put_disabled_takes_the_right_to_pay_away(demo, api):
    response = api("tok-dy_admin").put("/api/v1/quotas/dy_cs1/", {"per_payout": "50.00", "daily": "200.00",
                                                                  "enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    error_of(api("tok-dy_cs1").post("/api/v1/payouts/", BODY, format="json"), 403, "no_payout_permission", "PAY-L08")
    response = api("tok-dy_admin").put("/api/v1/quotas/dy_cs2/", {"per_payout": "30.00", "daily": None,
                                                                  "enabled": True}, format="json")
    assert response.json()["configured"] is True
    assert create(api("tok-dy_cs2"), amount="30.00")["applicant"] == "dy_cs2"


def test_quota_put_is_for_the_main_account_only(demo, api):
    quota = list(PayoutQuota.objects.values_list("user__username", "per_payout", "daily", "enabled").order_by("pk"))
    body = {"per_payout": "999.00", "daily": None, "enabled": True}
    error_of(api("tok-dy_cs1").put("/api/v1/quotas/dy_cs1/", body, format="json"), 403, "quota_main_account_only")
    error_of(api("tok-pdd_lead").put("/api/v1/quotas/pdd_cs1/", body, format="json"), 403, "quota_main_account_only")
    error_of(api("tok-dy_admin").put("/api/v1/quotas/dy_admin/", body, format="json"), 422, "quota_not_sub_account")
    error_of(api("tok-dy_admin").put("/api/v1/quotas/pdd_cs1/", body, format="json"), 404, "not_found")
    error_of(api("tok-buyer_ok").put("/api/v1/quotas/dy_cs1/", body, format="json"), 403, "permission_denied")
    assert list(PayoutQuota.objects.values_list("user__username", "per_payout", "daily", "enabled").order_by("pk")) == quota


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"per_payout": "abc", "daily": None, "enabled": True}, 400, "invalid"),
        ({"per_payout": "1.234", "daily": None, "enabled": True}, 400, "invalid"),
        ({"per_payout": "10.00", "daily": None}, 400, "invalid"),
        ({"daily": None, "enabled": True}, 400, "invalid"),
        ({"per_payout": "0", "daily": None, "enabled": True}, 422, "invalid_amount"),
        ({"per_payout": "10.00", "daily": "-1", "enabled": True}, 422, "invalid_amount"),
    ],
)
def test_quota_put_malformed_values(demo, api, body, status, code):
    before = list(PayoutQuota.objects.values_list("per_payout", "daily", "enabled").order_by("pk"))
    error_of(api("tok-dy_admin").put("/api/v1/quotas/dy_cs1/", body, format="json"), status, code)
    assert list(PayoutQuota.objects.values_list("per_payout", "daily", "enabled").order_by("pk")) == before


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_request_and_notification_lists_query_counts_do_not_grow_with_rows(demo, api):
    from accounts.models import User
    from core.clock import now
    from notifications.models import Notification
    from orders.models import Order

    order = Order.objects.get(order_no="DY1001")
    requester, admin = User.objects.get(username="dy_cs2"), User.objects.get(username="dy_admin")

    def add(n: int) -> None:
        payout = Payout.objects.create(
            shop_id=order.shop_id, order=order, type="other", amount=Decimal("1.00"), status="pending", reason="r",
            buyer_message="m", applicant=requester, approved_by=admin, day=now().date(), created_at=now(),
            close_at=now())
        PayoutRequest.objects.bulk_create([
            PayoutRequest(shop_id=order.shop_id, order=order, type="other", amount=Decimal("1.00"), reason="r",
                          buyer_message="m", requester=requester, status="rejected", decided_by=admin,
                          created_at=now()) for _ in range(n)])
        Notification.objects.bulk_create([
            Notification(shop_id=order.shop_id, order=order, about=payout, channel="station", kind="payout_failed", title="t",
                         body="b", created_at=now()) for _ in range(n)])

    client = api("tok-dy_admin")
    client.get("/api/v1/shop/balance/")  # the token's last use is written at most once a minute (SEC-02)
    add(2)
    few = (_queries(client, "/api/v1/payout-requests/"), _queries(client, "/api/v1/payout-notifications/"))
    add(15)
    assert (_queries(client, "/api/v1/payout-requests/"), _queries(client, "/api/v1/payout-notifications/")) == few
    assert client.get("/api/v1/payout-requests/").json()["count"] == 17
    assert client.get("/api/v1/payout-notifications/").json()["count"] == 17


def test_pay_a02_approver_pays_by_scan_where_the_balance_is_blocked(demo, api):
    """PAY-A02 (revised): in a Pinduoduo shop whose balance is blocked (PAY-Q04 a) balance approval is refused
    and the request stays pending; the approver chooses scan with a channel and the payout awaits its top-up."""
    from accounts.models import Shop

    request = _request(api("tok-pdd_cs2"), **PDD_BODY)
    Shop.objects.filter(key="pdd").update(zero_fee_entry=True, deposit_paid=False)
    before = snapshot()
    refused = error_of(api("tok-pdd_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/"), 422,
                       "balance_payment_not_allowed")
    assert "zero_fee_entry" in refused["reasons"]
    assert snapshot() == before and PayoutRequest.objects.get().status == "pending"
    error_of(api("tok-pdd_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/", {"pay_method": "scan"},
                                       format="json"), 400, "invalid")
    response = api("tok-pdd_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/",
                                         {"pay_method": "scan", "scan_channel": "wechat"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["pay_method"], body["scan_channel"]) == ("awaiting_top_up", "scan", "wechat")
    assert body["qr"]["channel"] == "wechat" and body["applicant"] == "pdd_cs2" and body["approved_by"] == "pdd_admin"
    assert before[5] == LedgerEntry.objects.count()  # no ledger movement
    assert Payout.objects.get().held == 0  # a scan payout holds nothing
    assert PayoutRequest.objects.get().status == "approved"


def test_pay_a02_douyin_approval_by_scan_is_refused_and_the_request_stays_pending(demo, api):
    """PAY-A02: scan-to-pay exists only where the profile has it (PAY-Q01 on Douyin)."""
    request = _request(api("tok-dy_cs2"))
    error_of(api("tok-dy_admin").post(f"/api/v1/payout-requests/{request['id']}/approve/",
                                      {"pay_method": "scan", "scan_channel": "alipay"}, format="json"),
             422, "scan_not_supported")
    assert PayoutRequest.objects.get().status == "pending" and not Payout.objects.exists()
