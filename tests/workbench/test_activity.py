"""The scenario loader's `activity` (API.md): applied through the services, idempotent by key, all-or-nothing;
the demo's activity leaves work in every queue and data in every report."""

import copy

import pytest

from aftersales.models import Ticket
from logistics.models import Interception, InterceptionContract
from notifications.models import Notification
from orders.scenario import ScenarioError, load_scenario
from payouts.models import Payout, PayoutRequest
from tests.conftest import demo_data
from workbench.models import ScenarioActivity

pytestmark = pytest.mark.django_db


def counts() -> tuple:
    return (Ticket.objects.count(), Payout.objects.count(), PayoutRequest.objects.count(),
            Interception.objects.count(), InterceptionContract.objects.count(), Notification.objects.count(),
            ScenarioActivity.objects.count())


def test_demo_activity_applies_through_the_services_and_once_by_key(demo):
    """`activity`: each item done by its user through the service; a second load skips every key."""
    data = demo_data(activity=True)
    loaded = load_scenario(data)
    assert loaded["activity"] == len(data["activity"])
    assert set(Ticket.objects.values_list("type", flat=True)) == {"refund_only", "return_refund", "exchange", "reship"}
    assert PayoutRequest.objects.filter(status="pending").count() == 2
    assert set(PayoutRequest.objects.values_list("status", flat=True)) == {"pending", "approved", "rejected"}
    assert {c.status for c in InterceptionContract.objects.all()} == {"active", "pending_review"}
    assert set(Interception.objects.values_list("settlement", flat=True)) == {"online", "offline"}
    assert Notification.objects.filter(recipient__username="pdd_admin", kind="payout_request_created").exists()
    assert Notification.objects.filter(recipient__username="pdd_cs2", kind="payout_request_decided").exists()
    before = counts()
    assert "activity" not in load_scenario(demo_data(activity=True))
    assert counts() == before


def test_a_refused_item_writes_nothing_of_the_file(demo):
    """`activity`: a refusal stops the load with the item's path and the refusal's code; nothing is written."""
    data = demo_data(activity=True)
    data["shops"][0]["name"] = "改过的名字"
    bad = copy.deepcopy(data["activity"][0])
    bad.update(key="bad", order_no="DY1002")  # stocking: not yet shipped, a refund-only amount over what was paid
    bad["amount"] = "99999.00"
    data["activity"].insert(1, bad)
    before = counts()
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert info.value.errors[0].startswith("activity[1] (bad, ticket): refused: ")
    assert counts() == before
    assert not Ticket.objects.exists()
    from accounts.models import Shop
    assert Shop.objects.get(key="dy").name != "改过的名字"
