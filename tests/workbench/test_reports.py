"""Reports (SPEC §11: RPT-01..RPT-05) against figures computed by hand, each one query; and their API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.models import ReshipPenalty, TicketEvent, TicketType
from core.clock import SHANGHAI
from logistics.models import InterceptionStatus, Settlement
from tests.factories import (
    InterceptionFactory,
    OrderFactory,
    OutletFactory,
    ParcelFactory,
    PayoutFactory,
    PlatformStaffFactory,
    ShopFactory,
    SubAccountFactory,
    TicketFactory,
    UserFactory,
)
from workbench import reports

pytestmark = pytest.mark.django_db

D = dt.date
M = Decimal


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def one_query(func, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        result = func(**kwargs)
    assert len(queries) == 1, [q["sql"] for q in queries]
    return result


@pytest.fixture
def shop():
    return ShopFactory()


def main_of(shop):
    return UserFactory(shop=shop, username=f"main_{shop.key}")


def payout(shop, day, amount, type="shipping_fee", counted=True, product_id="", quota_user=None):
    return PayoutFactory(order=OrderFactory(shop=shop), amount=M(amount), type=type, counted=counted, day=day,
                         created_at=at(day), product_id=product_id, quota_user=quota_user,
                         applicant=quota_user or main_of(shop))


def test_rpt_01_payouts_per_day_every_day_listed_zeros_included(shop):
    """RPT-01: counted payouts by Shanghai day of creation: count, amount, amount by type; days without any
    are listed with zeros; uncounted payouts and other shops' are left out."""
    payout(shop, D(2026, 11, 20), "10.00")
    payout(shop, D(2026, 11, 20), "5.50", type="other")
    payout(shop, D(2026, 11, 22), "20.00", type="price_difference")
    payout(shop, D(2026, 11, 22), "7.00", counted=False)  # failed and not counted
    payout(ShopFactory(), D(2026, 11, 22), "99.00")
    days = one_query(reports.payouts_daily, shop_id=shop.pk, date_from=D(2026, 11, 20), date_to=D(2026, 11, 22))
    assert [(d["date"], d["count"], d["amount"], d["by_type"]) for d in days] == [
        (D(2026, 11, 20), 2, M("15.50"), {"shipping_fee": M("10.00"), "price_difference": M("0.00"), "other": M("5.50")}),
        (D(2026, 11, 21), 0, M("0.00"), {"shipping_fee": M("0.00"), "price_difference": M("0.00"), "other": M("0.00")}),
        (D(2026, 11, 22), 1, M("20.00"), {"shipping_fee": M("0.00"), "price_difference": M("20.00"), "other": M("0.00")}),
    ]


def test_rpt_02_quota_usage_per_sub_account_on_a_day(shop):
    """RPT-02: each sub-account with a quota: its limits, the amount and count its counted payouts of the day
    used, and what remains of the daily limit (unlimited: none)."""
    a = SubAccountFactory(shop=shop, username="a_cs", quota__per_payout=M("50.00"), quota__daily=M("200.00"))
    b = SubAccountFactory(shop=shop, username="b_cs", quota__per_payout=M("30.00"), quota__daily=None)
    SubAccountFactory(shop=shop, username="c_cs")  # no quota: not listed
    day = D(2026, 11, 24)
    payout(shop, day, "50.00", quota_user=a)
    payout(shop, day, "25.00", quota_user=a)
    payout(shop, day, "40.00", quota_user=a, counted=False)
    payout(shop, day - dt.timedelta(days=1), "45.00", quota_user=a)
    payout(shop, day, "12.00", quota_user=b)
    rows = one_query(reports.quota_usage, shop_id=shop.pk, date=day)
    assert [(r["username"], r["per_payout"], r["daily"], r["used"], r["count"], r["remaining"]) for r in rows] == [
        ("a_cs", M("50.00"), M("200.00"), M("75.00"), 2, M("125.00")),
        ("b_cs", M("30.00"), None, M("12.00"), 1, None),
    ]


def test_rpt_03_payouts_by_related_product_largest_first(shop):
    """RPT-03: counted payouts of the range by related product: count and amount, largest amount first."""
    payout(shop, D(2026, 11, 20), "10.00", product_id="P1")
    payout(shop, D(2026, 11, 21), "15.00", product_id="P1")
    payout(shop, D(2026, 11, 21), "30.00", product_id="P2")
    payout(shop, D(2026, 11, 21), "8.00", product_id="P3")
    payout(shop, D(2026, 11, 21), "50.00", product_id="P3", counted=False)
    payout(shop, D(2026, 11, 19), "90.00", product_id="P3")  # before the range
    payout(shop, D(2026, 11, 21), "70.00")  # no related product
    rows = one_query(reports.payouts_by_product, shop_id=shop.pk, date_from=D(2026, 11, 20), date_to=D(2026, 11, 21))
    assert rows == [{"product_id": "P2", "count": 1, "amount": M("30.00")},
                    {"product_id": "P1", "count": 2, "amount": M("25.00")},
                    {"product_id": "P3", "count": 1, "amount": M("8.00")}]


def test_rpt_04_interception_reconciliation_by_outlet(shop):
    """RPT-04: by outlet, courier and settlement: requested / succeeded / failed, and the amount due — offline
    the agreed prices of the succeeded, online the platform fees charged (on success)."""
    hz = OutletFactory(code="yto-hz-01", name="圆通杭州一部", courier="yto")
    gz = OutletFactory(code="jt-gz-01", name="极兔广州一部", courier="jt")
    day = D(2026, 11, 20)

    def intercept(outlet, settlement, status, fee="3.00", price=None, when=None):
        when = when or at(day)
        order = OrderFactory(shop=shop)
        ticket = TicketFactory(order=order)
        parcel = ParcelFactory(order=order, courier=outlet.courier, outlet=outlet)
        return InterceptionFactory(ticket=ticket, parcel=parcel, settlement=settlement, status=status,
                                   platform_fee=M(fee), agreed_price=None if price is None else M(price),
                                   created_at=when)

    intercept(hz, Settlement.OFFLINE, InterceptionStatus.SUCCEEDED, fee="0.00", price="2.00")
    intercept(hz, Settlement.OFFLINE, InterceptionStatus.RETURNED, fee="0.00", price="2.50")
    intercept(hz, Settlement.OFFLINE, InterceptionStatus.FAILED, fee="0.00", price="2.00")
    intercept(hz, Settlement.ONLINE, InterceptionStatus.SUCCEEDED)
    intercept(gz, Settlement.ONLINE, InterceptionStatus.FAILED)
    intercept(gz, Settlement.ONLINE, InterceptionStatus.REQUESTED)
    intercept(gz, Settlement.ONLINE, InterceptionStatus.SUCCEEDED, when=at(day + dt.timedelta(days=1), 0))  # after
    rows = one_query(reports.interceptions_by_outlet, shop_id=shop.pk, date_from=day, date_to=day)
    assert rows == [
        {"outlet": "jt-gz-01", "outlet_name": "极兔广州一部", "courier": "jt", "settlement": "online",
         "requested": 2, "succeeded": 0, "failed": 1, "amount_due": M("0.00")},
        {"outlet": "yto-hz-01", "outlet_name": "圆通杭州一部", "courier": "yto", "settlement": "offline",
         "requested": 3, "succeeded": 2, "failed": 1, "amount_due": M("4.50")},
        {"outlet": "yto-hz-01", "outlet_name": "圆通杭州一部", "courier": "yto", "settlement": "online",
         "requested": 1, "succeeded": 1, "failed": 0, "amount_due": M("3.00")},
    ]


def test_rpt_05_reship_service_level(shop):
    """RPT-05: reship requests of the range: how many, approved automatically, shipped in time, shipped late or
    not at all (a missed shipment deadline), and the money charged to the shop for lateness."""
    day = D(2026, 11, 20)

    def reship(status="awaiting_shipment", shipped=False, auto=False, penalties=(), when=None):
        when = when or at(day)
        ticket = TicketFactory(order=OrderFactory(shop=shop), type=TicketType.RESHIP, status=status, created_at=when,
                               shipped_at=when + dt.timedelta(hours=30) if shipped else None)
        if auto:
            TicketEvent.objects.create(ticket=ticket, type="auto_approved", at=when + dt.timedelta(hours=48))
        for i, amount in enumerate(penalties):
            ReshipPenalty.objects.create(ticket=ticket, shop=shop, ship_deadline=when + dt.timedelta(hours=48 * (i + 2)),
                                         coupon_amount=M(amount), charged_from="balance", created_at=when)
        return ticket

    reship(status="shipped", shipped=True)  # in time
    reship(status="shipped", shipped=True, auto=True)  # auto-approved, in time
    reship(status="shipped", shipped=True, auto=True, penalties=["3.00"])  # late
    reship(status="refunded", penalties=["3.00", "3.00"])  # never shipped, charged twice
    reship(status="pending_merchant")
    reship(status="shipped", shipped=True, when=at(day - dt.timedelta(days=1)))  # before the range
    TicketFactory(order=OrderFactory(shop=shop), created_at=at(day))  # not a reship
    figures = one_query(reports.reship_sla, shop_id=shop.pk, date_from=day, date_to=day)
    assert figures == {"requested": 5, "auto_approved": 2, "shipped_in_time": 2, "late": 2, "charged": M("9.00")}


def test_rpt_01_to_05_api_answers_in_the_contracts_shape(shop, api):
    """API.md "Reports": shop people read their shop, platform staff pick one; a sub-account asking for quota
    usage gets 403 main_account_only; amounts are decimal strings."""
    UserFactory(shop=shop, username=f"main_{shop.key}", token="tok-rpt-main")
    sub = SubAccountFactory(shop=shop, username="rpt_sub", token="tok-rpt-sub", quota=True)
    PlatformStaffFactory(username="rpt_ops", token="tok-rpt-ops")
    payout(shop, D(2026, 11, 20), "10.00", product_id="P1", quota_user=sub)
    main = api("tok-rpt-main")
    body = main.get("/api/v1/reports/payouts-daily/?from=2026-11-19&to=2026-11-20").json()
    assert body == {"days": [
        {"date": "2026-11-19", "count": 0, "amount": "0.00",
         "by_type": {"shipping_fee": "0.00", "price_difference": "0.00", "other": "0.00"}},
        {"date": "2026-11-20", "count": 1, "amount": "10.00",
         "by_type": {"shipping_fee": "10.00", "price_difference": "0.00", "other": "0.00"}}]}
    assert main.get("/api/v1/reports/quota-usage/?date=2026-11-20").json() == {"date": "2026-11-20", "rows": [
        {"username": "rpt_sub", "per_payout": "50.00", "daily": "200.00", "used": "10.00", "count": 1,
         "remaining": "190.00"}]}
    refused = api("tok-rpt-sub").get("/api/v1/reports/quota-usage/?date=2026-11-20")
    assert refused.status_code == 403 and refused.json()["code"] == "main_account_only"
    assert main.get("/api/v1/reports/payouts-by-product/?from=2026-11-20&to=2026-11-20").json() == {
        "rows": [{"product_id": "P1", "count": 1, "amount": "10.00"}]}
    assert main.get("/api/v1/reports/interceptions-by-outlet/?from=2026-11-20&to=2026-11-20").json() == {"rows": []}
    assert main.get("/api/v1/reports/reship-sla/?from=2026-11-20&to=2026-11-20").json() == {
        "requested": 0, "auto_approved": 0, "shipped_in_time": 0, "late": 0, "charged": "0.00"}
    ops = api("tok-rpt-ops")
    assert ops.get("/api/v1/reports/payouts-daily/").status_code == 400
    assert ops.get(f"/api/v1/reports/payouts-by-product/?from=2026-11-20&to=2026-11-20&shop={shop.key}").json()[
        "rows"][0]["amount"] == "10.00"
    # A well-formed range the reports refuse is 422; a malformed date 400 `invalid` naming it (issue 22 item 2b).
    backwards = main.get("/api/v1/reports/payouts-daily/?from=2026-11-21&to=2026-11-20")
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_date_range"
    malformed = main.get("/api/v1/reports/payouts-daily/?from=20261120")
    assert malformed.status_code == 400 and "from" in malformed.json()["fields"]
