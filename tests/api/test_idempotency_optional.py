"""SEC-04 (issue 22 item 1): every money-moving POST — each view method under `@idempotent` — works without an
`Idempotency-Key` (API.md: "or it works without one"): it runs in one transaction, so its row locks hold and
nothing answers 5xx. One request per endpoint, reaching its service; a walk over the URLconf makes sure a new
money-moving POST cannot be added without being listed here."""

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from tests.payouts.api_support import BODY

# Transactional: in a test transaction, select_for_update outside the view's own transaction would not fail.
pytestmark = pytest.mark.django_db(transaction=True)


def _idempotent_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    found = set()
    for route, pattern in walk(get_resolver().url_patterns):
        post = getattr(getattr(pattern.callback, "cls", None), "post", None)
        if getattr(post, "idempotent", False):
            found.add(route)
    return found


COVERED = {
    "api/v1/payouts/", "api/v1/payouts/<int:payout_id>/continue/", "api/v1/payouts/<int:payout_id>/resend-card/",
    "api/v1/sandbox/top-ups/<int:payout_id>/pay/", "api/v1/payout-cards/<str:card_id>/", "api/v1/payout-requests/",
    "api/v1/payout-requests/<int:request_id>/approve/", "api/v1/tickets/<int:pk>/intercept/",
    "api/v1/tickets/<int:pk>/approve/", "api/v1/arbitrations/<int:pk>/decide/",
}


def test_sec04_every_money_moving_post_is_covered_here():
    """SEC-04: the list below is every POST under `@idempotent` — add a test for a new one."""
    assert _idempotent_routes() == COVERED


def _ok(response, *statuses):
    assert response.status_code < 500, response.content[:500]
    body = response.json()
    assert response.status_code in statuses, body
    if response.status_code >= 400:
        assert body["code"] and body.get("message"), body
    return body


def test_sec04_payout_create_and_its_actions_work_without_a_key(demo, api):
    """SEC-04: POST payouts/ without a key created the payout (was 500: select_for_update outside a
    transaction); continue, resend-card and the sandbox top-up answer their coded refusals."""
    shop = api("tok-dy_admin")
    payout = _ok(shop.post("/api/v1/payouts/", BODY, format="json"), 201)
    assert payout["status"] == "processing"
    _ok(shop.post(f"/api/v1/payouts/{payout['id']}/continue/"), 200, 409)
    _ok(shop.post(f"/api/v1/payouts/{payout['id']}/resend-card/"), 201, 409)
    _ok(shop.post(f"/api/v1/sandbox/top-ups/{payout['id']}/pay/"), 200, 404, 409)
    _ok(shop.post("/api/v1/payouts/999999/continue/"), 404)


def test_sec04_card_submission_works_without_a_key(demo, api):
    """SEC-04: a buyer's card submission without a key reaches the service (an unknown card: 404)."""
    _ok(api("tok-buyer_ok").post("/api/v1/payout-cards/no-such-card/", {"channel": "alipay", "account": "a@b.cn",
                                                                         "name": "张三"}, format="json"), 404, 410)


def test_sec04_payout_request_and_its_approval_work_without_a_key(demo, api):
    """SEC-04: a sub-account's payout request and the main account's approval, both without a key."""
    created = _ok(api("tok-dy_cs1").post("/api/v1/payout-requests/", BODY, format="json"), 201)
    approved = _ok(api("tok-dy_admin").post(f"/api/v1/payout-requests/{created['id']}/approve/", {}, format="json"),
                   201)
    assert approved["approved_by"] == "dy_admin"


def test_sec04_ticket_approval_arbitration_and_interception_work_without_a_key(demo, api):
    """SEC-04: the after-sales approval, the platform's decision and an interception request, without a key."""
    buyer, shop, staff = api("tok-buyer_ok"), api("tok-dy_cs1"), api("tok-ops1")
    ticket = _ok(buyer.post("/api/v1/tickets/", {"order_no": "DY1022", "type": "reship", "reason": "other"},
                            format="json"), 201)
    _ok(shop.post(f"/api/v1/tickets/{ticket['id']}/approve/", {"version": ticket["version"]}, format="json"), 200)
    _ok(staff.post(f"/api/v1/arbitrations/{ticket['id']}/decide/", {"outcome": "merchant", "note": "x"},
                   format="json"), 200, 404, 409, 422)
    refund = _ok(buyer.post("/api/v1/tickets/", {"order_no": "DY1027", "type": "refund_only", "reason": "不想要了",
                                                 "amount": "99.00"}, format="json"), 201)
    _ok(shop.post(f"/api/v1/tickets/{refund['id']}/intercept/", {"parcels": ["YT7310000012507"], "mode": "online"},
                  format="json"), 201, 409, 422)
