"""REST lists by keyset pages (issue 14; docs/API.md "Long lists"): `next` walks the whole list once, in
order, with no OFFSET and no full COUNT; `previous` walks back; `?page=` still answers the first pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Shop
from core import pagination
from core.clock import now
from notifications.models import Channel, Notification
from notifications.selectors import about_type_get
from orders.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/v1/payout-notifications/"


@pytest.fixture
def many(demo):
    shop = Shop.objects.get(key="dy")
    order = Order.objects.filter(shop=shop).first()
    at = now()
    Notification.objects.bulk_create([
        Notification(shop=shop, order=order, channel=Channel.STATION, kind="bench", title=f"n{i}", body="b",
                     about_type=about_type_get("payouts", "payout"), about_id=i,
                     created_at=at - dt.timedelta(minutes=i % 5))  # ties on created_at: the id decides
        for i in range(23)
    ])
    return shop


def _walk(client, url, key):
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen += [row[key] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_next_walks_every_row_once_in_order_and_previous_walks_back(many, api):
    client = api("tok-dy_admin")
    first = client.get(URL, {"page_size": 5}).json()
    total = first["count"]
    assert total >= 23
    everything = [r["title"] for r in client.get(URL, {"page_size": 200}).json()["results"]]
    walked, pages = _walk(client, f"{URL}?page_size=5", "title")
    assert walked == everything and pages == -(-total // 5)
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["title"] for r in back["results"]] == [r["title"] for r in first["results"]]
    assert "cursor=" in first["next"] and "page=" not in first["next"]


def test_page_numbers_still_work_for_small_results(many, api):
    client = api("tok-dy_admin")
    body = client.get(URL, {"page": 2, "page_size": 5}).json()
    assert "page=3" in body["next"] and "page=1" in body["previous"]
    assert client.get(URL, {"page": 999}).status_code == 404
    assert client.get(URL, {"cursor": "garbage"}).status_code == 404


def test_deep_pages_use_no_offset_and_no_full_count(many, api, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_UP_TO", 10)
    client = api("tok-dy_admin")
    body = client.get(URL, {"page_size": 5}).json()
    assert body["count"] is None and body["count_more_than"] == 10
    with CaptureQueriesContext(connection) as queries:
        client.get(body["next"])
    sqls = " ".join(q["sql"] for q in queries)
    assert "OFFSET" not in sqls and "LIMIT 11" in sqls
