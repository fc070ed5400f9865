"""Who may call what (API.md "Small payouts", tenancy): shop endpoints are for shop people, the card for
buyers; another shop's object answers 404 and nothing changes."""

import pytest

from tests.payouts.api_support import BODY, create, error_of, snapshot

pytestmark = pytest.mark.django_db

SHOP_ENDPOINTS = [
    ("get", "/api/v1/orders/DY1001/payout-panel/"),
    ("get", "/api/v1/payouts/"),
    ("get", "/api/v1/payouts/?format=csv"),
    ("post", "/api/v1/payouts/"),
    ("get", "/api/v1/payouts/{id}/"),
    ("post", "/api/v1/payouts/{id}/continue/"),
    ("post", "/api/v1/sandbox/top-ups/{id}/pay/"),
    ("post", "/api/v1/payouts/{id}/resend-card/"),
    ("get", "/api/v1/payout-requests/"),
    ("post", "/api/v1/payout-requests/"),
    ("post", "/api/v1/payout-requests/{request}/approve/"),
    ("post", "/api/v1/payout-requests/{request}/reject/"),
    ("get", "/api/v1/quotas/dy_cs1/"),
    ("put", "/api/v1/quotas/dy_cs1/"),
]


@pytest.fixture
def objects(demo, api) -> dict:
    payout = create(api("tok-dy_admin"))
    request = api("tok-dy_cs2").post("/api/v1/payout-requests/", {**BODY, "order_no": "DY1002"}, format="json").json()
    return {"id": payout["id"], "request": request["id"]}


def _call(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    body = {**BODY, "reason": "x", "per_payout": None, "daily": None, "enabled": True}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("token", ["tok-buyer_ok", "tok-ops1", None])
def test_shop_endpoints_refuse_buyers_staff_and_anonymous(objects, api, token):
    before = snapshot()
    for method, url in SHOP_ENDPOINTS:
        response = _call(api(token), method, url.format(**objects))
        if token is None:
            error_of(response, 401, "not_authenticated")
        else:
            error_of(response, 403, "permission_denied")
    assert snapshot() == before


def test_another_shops_objects_answer_404_and_change_nothing(objects, api):
    before = snapshot()
    for method, url in SHOP_ENDPOINTS:
        if "{" in url or "DY1001" in url or "quotas" in url:
            error_of(_call(api("tok-pdd_admin"), method, url.format(**objects)), 404, "not_found")
    assert snapshot() == before


def test_the_account_card_is_for_buyers_only(objects, api):
    body = {"channel": "alipay", "account": "a@b.cn", "name": "张三"}
    error_of(api("tok-dy_admin").post("/api/v1/payout-cards/whatever/", body, format="json"), 403, "permission_denied")
    error_of(api().post("/api/v1/payout-cards/whatever/", body, format="json"), 401, "not_authenticated")
