"""PAY-E10 (issue 22 item 13; seed 000 「仅限PC抖店后台或飞鸽操作使用」): a token is issued for a channel; a Douyin
payout started from a merchant-app, workbench or integration token answers 403 `channel_not_supported`."""

import pytest

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from payouts.models import Payout, PayoutRequest
from tests.payouts.api_support import BODY, PDD_BODY, snapshot

pytestmark = pytest.mark.django_db


def _token(username: str, channel: str) -> str:
    return api_token_create(user=User.objects.get(username=username), channel=channel)[1]


@pytest.mark.parametrize("channel", ["merchant_app", "workbench", "integration"])
def test_pay_e10_a_douyin_payout_from_another_channel_is_refused(demo, api, channel):
    """PAY-E10: POST payouts/ on Douyin from a token of another channel: 403, nothing held or written."""
    before = snapshot()
    response = api(_token("dy_admin", channel)).post("/api/v1/payouts/", BODY, format="json",
                                                     HTTP_IDEMPOTENCY_KEY=f"e10-{channel}")
    body = response.json()
    assert response.status_code == 403 and body["code"] == "channel_not_supported" and body["rule"] == "PAY-E10"
    assert body["message"] == "抖店小额打款仅限PC抖店后台或飞鸽操作使用" and "PAY-E10" not in body["message"]
    assert snapshot() == before


def test_pay_e10_chat_tool_tokens_the_back_office_and_pinduoduo_are_not_limited(demo, api):
    """PAY-E10: a chat-tool (飞鸽) token and a signed-in session start Douyin payouts; Pinduoduo has no limit."""
    assert api(_token("dy_admin", "chat_tool")).post("/api/v1/payouts/", BODY, format="json").status_code == 201
    session = api()
    session.force_login(User.objects.get(username="dy_admin"))
    other = session.post("/api/v1/payouts/", {**BODY, "order_no": "DY1002", "amount": "1.00"}, format="json")
    assert other.status_code == 201, other.json()
    assert api(_token("pdd_admin", "merchant_app")).post("/api/v1/payouts/", PDD_BODY, format="json").status_code == 201
    # Reading is not starting a payout: the merchant app lists them.
    assert api(_token("dy_admin", "merchant_app")).get("/api/v1/payouts/").status_code == 200


def test_pay_e10_approving_a_request_and_the_sidebar_actions_follow_the_channel(demo, api):
    """PAY-E10: approving a Douyin request from the merchant app is refused (the request stays pending); the
    order context tells a merchant-app caller that `payout` is not allowed, with the code."""
    created = api("tok-dy_cs1").post("/api/v1/payout-requests/", BODY, format="json").json()
    app = api(_token("dy_admin", "merchant_app"))
    refused = app.post(f"/api/v1/payout-requests/{created['id']}/approve/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "channel_not_supported"
    assert PayoutRequest.objects.get(pk=created["id"]).status == "pending" and not Payout.objects.exists()
    actions = app.get("/api/v1/orders/DY1001/context/").json()["actions"]
    assert actions["payout"]["allowed"] is False and actions["payout"]["code"] == "channel_not_supported"
    assert api("tok-dy_admin").get("/api/v1/orders/DY1001/context/").json()["actions"]["payout"].get("code") \
        != "channel_not_supported"


def test_pay_e10_the_loader_issues_tokens_for_their_channel(db):
    """PAY-E10 / API.md loader: `token_channel` (default `chat_tool`); another value is refused; loading again
    with another channel re-issues the same key for it."""
    from orders.scenario import ScenarioError, load_scenario

    def scenario(**user):
        return {"shops": [{"key": "c1", "name": "渠道店", "profile": "douyin", "users": [
            {"username": "c1_admin", "role": "main", "password": "pw", "token": "tok-c1-admin-0123456789", **user}]}]}

    load_scenario(scenario())
    assert ApiToken.objects.get(user__username="c1_admin").channel == "chat_tool"
    load_scenario(scenario(token_channel="merchant_app"))
    assert list(ApiToken.objects.filter(user__username="c1_admin").values_list("channel", flat=True)) == ["merchant_app"]
    with pytest.raises(ScenarioError) as refused:
        load_scenario(scenario(token_channel="fax"))
    assert any("token_channel" in line for line in refused.value.errors)
