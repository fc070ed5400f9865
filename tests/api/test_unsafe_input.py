"""SEC-04 (issue 22 item 2): the five inputs that answered 500 — a NUL or a lone surrogate in a JSON body, a
path or a query, and a page number past the database's integers — answer 4xx in the API's error shape, and
the stored answer of an `Idempotency-Key` is safe whatever it echoes."""

import pytest

from payouts.models import Payout, PayoutRequest

# Transactional: a 500 from PostgreSQL refusing a NUL would be hidden by nothing, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

BODY = ('{"order_no": "DY1001", "type": "%s", "amount": "12.50", "reason": "%s", '
        '"buyer_message": "\\u5df2\\u4e3a\\u60a8\\u8865\\u8fd0\\u8d39"}')


def _invalid(response, field: str | None = None) -> dict:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and body["message"] and body["message_en"], body
    if field is not None:
        assert field in body["fields"], body
    return body


def test_sec04_a_nul_escape_in_a_json_body_is_refused_before_anything_is_stored(demo, api):
    """SEC-04: `"type": "ot\\u0000her"` with a key answered 500 (the refusal echoed the NUL into jsonb)."""
    client = api("tok-dy_admin")
    response = client.post("/api/v1/payouts/", BODY % ("ot\\u0000her", "x"), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="nul-1")
    _invalid(response, "type")
    assert not Payout.objects.exists()
    again = client.post("/api/v1/payouts/", BODY % ("ot\\u0000her", "x"), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="nul-1")
    _invalid(again, "type")


def test_sec04_a_lone_surrogate_escape_in_a_json_body_is_refused(demo, api):
    """SEC-04: `"reason": "\\ud800"` on payout-requests/ answered 500 (the fingerprint could not encode it);
    a proper pair (an emoji) is text like any other."""
    client = api("tok-dy_cs1")
    response = client.post("/api/v1/payout-requests/", BODY % ("shipping_fee", "\\ud800"),
                           content_type="application/json", HTTP_IDEMPOTENCY_KEY="sur-1")
    _invalid(response, "reason")
    keyed = client.post("/api/v1/payout-requests/", '{"\\udfff": 1}', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="sur-2")
    _invalid(keyed)
    assert not PayoutRequest.objects.exists()
    pair = client.post("/api/v1/payout-requests/", BODY % ("shipping_fee", "\\ud83d\\ude00"),
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="sur-3")
    assert pair.status_code == 201, pair.json()
    assert pair.json()["reason"] == "\U0001f600"


def test_sec04_a_nul_in_a_path_is_refused(demo, api):
    """SEC-04: `GET orders/DY%00/context/` and `POST payout-cards/a%00b/` answered 500."""
    _invalid(api("tok-dy_admin").get("/api/v1/orders/DY%00/context/"), "path")
    _invalid(api("tok-buyer_ok").post("/api/v1/payout-cards/a%00b/", {"channel": "alipay", "account": "a@b.cn",
                                                                       "name": "张三"}, format="json"), "path")


def test_sec04_a_nul_in_a_query_or_a_header_is_refused(demo, api, client):
    """SEC-04: the same check for the query string and the headers, for the API and for the admin's pages."""
    _invalid(api("tok-dy_admin").get("/api/v1/orders/?q=DY%00"), "query.q")
    _invalid(api("tok-dy_admin").get("/api/v1/orders/", HTTP_X_TRACE="a\x00b"), "header.X-Trace")
    _invalid(api("tok-dy_admin").get("/api/v1/orders/", HTTP_X_TRACE="\ud800"), "header.X-Trace")
    page = client.get("/admin/login/?next=%00")
    assert page.status_code == 400


def test_sec04_a_page_number_past_the_databases_integers_answers_404(demo, api):
    """SEC-04: `?page=1000000000000000001` answered 500 (OFFSET out of bigint) on every paginated list."""
    shop, buyer = api("tok-dy_admin"), api("tok-buyer_ok")
    for client, path in ((shop, "/api/v1/orders/"), (shop, "/api/v1/inbox/"), (shop, "/api/v1/payout-notifications/"),
                         (shop, "/api/v1/payouts/"), (shop, "/api/v1/tickets/"), (buyer, "/api/v1/notifications/")):
        for page in ("1000000000000000001", "9" * 40, "1000001", "0", "-1", "x"):
            response = client.get(f"{path}?page={page}")
            assert response.status_code == 404, (path, page, response.content[:200])
            assert response.json()["code"] == "not_found"
        assert client.get(f"{path}?page=1").status_code == 200


def test_sec04_the_stored_answer_of_a_key_is_safe_whatever_it_echoes(db):
    """SEC-04: an answer holding a NUL or a lone surrogate is stored (replaced by U+FFFD), not a 500."""
    from accounts.models import User
    from core.idempotency import once
    from core.models import IdempotencyKey
    from core.text import json_safe, unsafe_places

    user = User.objects.create_user("echo", password="x", role="platform")
    echoed = {"fields": {"type": ["\"ot\x00her\" is not a valid choice."]}, "k\ud800": "\udfff"}
    once(user=user, key="echo-1", fingerprint="f" * 64, run=lambda: echoed, store=lambda r: (400, r))
    stored = IdempotencyKey.objects.get(user=user, key="echo-1")
    assert stored.response_status == 400 and unsafe_places(stored.response_body) == []
    assert stored.response_body == json_safe(echoed)
    assert unsafe_places(echoed) == sorted(["fields.type.0", "k\ufffd", "key"])
