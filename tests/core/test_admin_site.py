"""The admin: Chinese by default, English on request, menus by role (SPEC §9)."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def index_for(client, username: str, language: str | None = None):
    client.force_login(User.objects.get(username=username))
    if language:
        client.cookies["django_language"] = language
    return client.get(reverse("admin:index"))


def test_admin_speaks_chinese_by_default(demo, client):
    html = index_for(client, "dy_admin").content.decode()
    assert '<html lang="zh-hans"' in html
    for menu in ("订单管理", "店铺与账号", "客服打款配额", "资金流水", "售后管理后台"):
        assert menu in html, menu
    assert "Order management" not in html


def test_admin_speaks_english_on_request(demo, client):
    html = index_for(client, "dy_admin", language="en").content.decode()
    assert '<html lang="en"' in html
    assert "Order management" in html and "订单管理" not in html


def test_the_language_switch_sets_the_language(demo, client):
    client.force_login(User.objects.get(username="dy_admin"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    assert "Order management" in client.get("/admin/").content.decode()


def test_sub_account_menu_hides_shop_funds_and_quotas(demo, client):
    html = index_for(client, "dy_cs1").content.decode()
    assert "订单管理" in html
    assert "资金流水" not in html and "客服打款配额" not in html
    assert client.get(reverse("admin:accounts_ledgerentry_changelist")).status_code == 403


def test_platform_staff_edit_rule_profiles_and_shops_cannot(demo, client):
    from accounts.models import PlatformProfile

    douyin = PlatformProfile.objects.get(code="douyin")
    url = reverse("admin:accounts_platformprofile_change", args=[douyin.pk])
    client.force_login(User.objects.get(username="dy_admin"))
    assert client.get(url).status_code == 403  # platform configuration: not a shop's page (issue 11)
    assert "平台规则配置" not in client.get(reverse("admin:index")).content.decode()
    client.post(url, {"payouts_per_order": 9})
    douyin.refresh_from_db()
    assert douyin.payouts_per_order == 5

    client.force_login(User.objects.get(username="ops1"))
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(payouts_per_order=6, allowed_source_apps='["douyin", "douyin_huoshan"]')
    for key in [k for k, f in form.fields.items() if f.__class__.__name__ == "BooleanField" and not data.get(k)]:
        data.pop(key, None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    douyin.refresh_from_db()
    assert douyin.payouts_per_order == 6
    assert douyin.history.latest().history_user.username == "ops1"


def test_main_account_sets_a_quota_in_the_admin(demo, client):
    from accounts.models import PayoutQuota

    client.force_login(User.objects.get(username="dy_admin"))
    sub = User.objects.get(username="dy_cs2")
    response = client.post(reverse("admin:accounts_payoutquota_add"),
                           {"user": sub.pk, "per_payout": "20.00", "daily": "80.00", "enabled": "on"})
    assert response.status_code == 302
    quota = PayoutQuota.objects.get(user=sub)
    assert (str(quota.per_payout), str(quota.daily), quota.enabled) == ("20.00", "80.00", True)
    assert quota.history.latest().history_user.username == "dy_admin"


def test_sub_account_cannot_set_quotas_in_the_admin(demo, client):
    from accounts.models import PayoutQuota

    client.force_login(User.objects.get(username="dy_cs1"))
    quota = PayoutQuota.objects.get(user__username="dy_cs1")
    response = client.post(reverse("admin:accounts_payoutquota_change", args=[quota.pk]),
                           {"per_payout": "999.00", "enabled": "on"})
    assert response.status_code == 403
    quota.refresh_from_db()
    assert str(quota.per_payout) == "50.00"


def test_order_detail_shows_items_parcels_refunds_and_operation_log(demo, client):
    from orders.models import Order

    order = Order.objects.get(order_no="DY1022")
    client.force_login(User.objects.get(username="dy_cs1"))
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert order.items.first().name in html
    assert order.parcels.first().tracking_no in html
    assert "8.00" in html  # the platform's shipping-fee refund
    assert "平台同步创建" in html  # the operation log reads in Chinese


def test_outlet_user_sees_only_their_outlets_parcels(demo, client):
    client.force_login(User.objects.get(username="yto_hz_01_user"))
    response = client.get(reverse("admin:orders_parcel_changelist"))
    outlets = {p.outlet.code for p in response.context["cl"].result_list}
    assert outlets == {"yto-hz-01"}
    assert client.get(reverse("admin:orders_order_changelist")).status_code == 403


def test_buyers_cannot_sign_in_to_the_admin(demo, client):
    response = client.post(reverse("admin:login"), {"username": "buyer_ok", "password": "demo1234"})
    assert response.status_code == 200  # the login form again, with an error
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_english_browser_still_gets_chinese_until_the_user_switches(demo, client):
    client.force_login(User.objects.get(username="dy_admin"))
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans"' in html


def test_order_search_by_number_or_product_id_stays_in_the_shop(demo, client):
    from orders.models import OrderItem

    client.force_login(User.objects.get(username="dy_cs1"))
    found = client.get(reverse("admin:orders_order_changelist"), {"q": "DY1022"}).context["cl"].result_list
    assert [o.order_no for o in found] == ["DY1022"]
    product = OrderItem.objects.filter(order__order_no="DY1023").first().product_id
    by_product = client.get(reverse("admin:orders_order_changelist"), {"q": product}).context["cl"].result_list
    assert "DY1023" in {o.order_no for o in by_product}
    assert not client.get(reverse("admin:orders_order_changelist"), {"q": "PDD2001"}).context["cl"].result_list


def test_admin_lists_count_exactly_below_the_estimate_threshold_and_estimate_above(demo, monkeypatch):
    from core.admin import EstimatedCountPaginator
    from orders.models import Order

    qs = Order.objects.filter(shop__key="dy")
    assert EstimatedCountPaginator(qs, 50).count == qs.count()
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 1)
    unfiltered = EstimatedCountPaginator(qs, 50)
    unfiltered.filtered = False
    estimate = unfiltered.count
    assert isinstance(estimate, int) and estimate >= 1


def test_admin_filtered_or_searched_lists_never_show_the_planner_estimate(demo, monkeypatch):
    """Issue 14: a search that matched 22 rows once showed the table estimate (103,015) as its total. A
    filtered list counts exactly (up to FILTERED_EXACT_UP_TO), whatever the planner thinks."""
    from core import admin as core_admin
    from core.admin import EstimatedCountPaginator
    from orders.models import Order

    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 1)
    monkeypatch.setattr(core_admin, "_planner_rows", lambda qs: 103_015)
    qs = Order.objects.filter(shop__key="dy", status="shipped")
    assert EstimatedCountPaginator(qs, 50).count == qs.count()  # filtered by default
    monkeypatch.setattr(EstimatedCountPaginator, "FILTERED_EXACT_UP_TO", 2)
    assert EstimatedCountPaginator(Order.objects.all(), 50).count == 2  # a bound, never the estimate
