"""The admin home is a workbench (RPT-06): each role's to-do counts, each a link to its filtered list."""

import pytest
from django.urls import reverse

from accounts.models import User
from core.clocks import run_all
from orders.scenario import load_scenario
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(demo):
    load_scenario(demo_data(activity=True))
    run_all()


def todos(client, username: str) -> dict:
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {t["testid"]: t for t in response.context["wb"]["todos"]}


@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_admin", "pdd_lead", "ops1", "jt_gz_01_user"])
def test_rpt_06_every_todo_links_to_a_list_that_shows_its_count(busy, client, username):
    """RPT-06: each count is a link to a filtered list with exactly that many rows."""
    for testid, todo in todos(client, username).items():
        response = client.get(todo["url"])
        assert response.status_code == 200, (testid, todo["url"])
        assert response.context["cl"].result_count == todo["count"], (testid, todo["url"])


def test_rpt_06_the_demo_leaves_work_waiting_for_each_role(busy, client):
    """RPT-06 with the demo's activity: approvers have requests, the shop has reship requests waiting, pending
    payouts, unread messages; platform staff and outlet users have their queues."""
    dy = todos(client, "dy_admin")
    assert dy["todo-requests"]["count"] == 1 and dy["todo-pending-payouts"]["count"] >= 1
    assert dy["todo-reship-later"]["count"] == 2 and dy["todo-reship-later"]["hint"]
    assert dy["todo-inbox"]["count"] >= 1
    pdd = todos(client, "pdd_admin")
    assert pdd["todo-requests"]["count"] == 1 and pdd["todo-cards"]["count"] == 1 and pdd["todo-inbox"]["count"] >= 2
    assert todos(client, "jt_gz_01_user")["todo-contracts"]["count"] == 1
    assert set(todos(client, "ops1")) == {"todo-arbitration", "todo-claims-decide", "todo-flagged"}


def test_rpt_06_home_money_and_charts(busy, client):
    """RPT-06: balance, available, paid out today and the two charts' data with their tables."""
    client.force_login(User.objects.get(username="dy_admin"))
    wb = client.get(reverse("admin:index")).context["wb"]
    assert wb["money"]["paid_out_today"] > 0 and wb["initiate_url"]
    assert len(wb["daily_chart"]["categories"]) == 30 and len(wb["daily_rows"]) == 30
    assert wb["quota_chart"]["categories"] == ["dy_cs1"]
