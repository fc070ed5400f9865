"""Tenancy (SPEC §1): a shop's people see and touch only their shop's rows, in the admin and the API;
anything else answers as if it did not exist (404). Platform staff see every shop.

These tests walk every model of the project and every ModelAdmin registered, so a model or admin added
later is covered without a new test: it must declare its scope (core.tenancy) or be listed as global.
"""

import importlib
import pathlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import PayoutQuota, User
from core.admin import BackOfficeAdmin, BackOfficeHistoryAdmin
from core.tenancy import ALL, is_global, scope_queryset, tenant_paths
from orders.models import Order, OrderEvent, Refund

PROJECT_APPS = ("core", "accounts", "orders", "notifications", "payouts", "aftersales", "logistics", "workbench",
                "platforms")
GLOBAL_MODELS = {
    "accounts.PlatformProfile",
    "accounts.HistoricalPlatformProfile",
    "accounts.CalendarDay",
    "accounts.HistoricalCalendarDay",
    "orders.Category",
    "workbench.ScenarioActivity",  # the scenario loader's record of applied activity keys (no page, no API)
    # Operations (OPS-02, OPS-05): read only by /metrics and 系统状态 (platform staff); no admin, no API.
    "core.ClockRun",
    "core.RailCall",
    "core.RailCallTotal",
}


def project_models():
    return [m for app in PROJECT_APPS for m in apps.get_app_config(app).get_models()]


def label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def shop_scoped_models():
    return [m for m in project_models() if tenant_paths(m).get("tenant_shop_path") not in (None, ALL)]


def test_every_model_declares_its_scope_or_is_listed_as_global():
    undeclared = [label(m) for m in project_models() if is_global(m) and label(m) not in GLOBAL_MODELS]
    assert undeclared == [], "declare tenant_shop_path (or another scope) on these models, or list them as global"
    stale = GLOBAL_MODELS - {label(m) for m in project_models()}
    assert stale == set()


@pytest.fixture
def both_shops(demo):
    """The demo plus a row in each shop for every shop-scoped model the demo leaves empty."""
    now = timezone.now()
    for order_no in ("DY1021", "PDD2013"):
        Refund.objects.create(order=Order.objects.get(order_no=order_no), amount=Decimal("5.00"),
                              status=Refund.Status.SUCCEEDED, created_at=now)
    # A second history row per quota, so quota history exists in both shops.
    for quota in PayoutQuota.objects.all():
        quota.save()
    # Each app adds rows of its own models in both shops: tests/<app>/tenancy_rows.py, add_rows(demo).
    for app in PROJECT_APPS:
        if (pathlib.Path(__file__).parents[1] / app / "tenancy_rows.py").exists():
            importlib.import_module(f"tests.{app}.tenancy_rows").add_rows(demo)
    return demo


def shop_keys_of(qs, path: str) -> set:
    from accounts.models import Shop

    ids = set(qs.values_list(path, flat=True))
    return set(Shop.objects.filter(pk__in=ids).values_list("key", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_lead"])
def test_every_shop_scoped_model_shows_only_the_users_shop(both_shops, username):
    user = User.objects.get(username=username)
    for model in shop_scoped_models():
        path = tenant_paths(model)["tenant_shop_path"]
        everything = model._default_manager.all()
        assert shop_keys_of(everything, path) >= {"dy", "pdd"}, f"{label(model)}: the test needs rows in both shops"
        visible = scope_queryset(everything, user)
        assert shop_keys_of(visible, path) == {user.shop.key}, label(model)
        assert visible.count() == everything.filter(**{path: user.shop_id}).count(), label(model)


@pytest.mark.django_db
def test_platform_staff_see_every_shop_and_buyers_and_outlets_see_only_their_own(both_shops):
    staff = User.objects.get(username="ops1")
    buyer = User.objects.get(username="buyer_invalid")
    outlet_user = User.objects.get(username="yto_hz_01_user")
    for model in shop_scoped_models():
        everything = model._default_manager.all()
        assert scope_queryset(everything, staff).count() == everything.count(), label(model)
        buyer_path = tenant_paths(model).get("tenant_buyer_path")
        mine = scope_queryset(everything, buyer)
        if buyer_path:
            assert set(mine.values_list(buyer_path, flat=True)) <= {buyer.pk}, label(model)
        else:
            assert not mine.exists(), label(model)
        outlet_path = tenant_paths(model).get("tenant_outlet_path")
        theirs = scope_queryset(everything, outlet_user)
        if outlet_path and outlet_path != "pk":
            assert set(theirs.values_list(outlet_path, flat=True)) <= {outlet_user.outlet_id}, label(model)
    assert set(scope_queryset(Order.objects.all(), buyer).values_list("buyer__username", flat=True)) == {"buyer_invalid"}


def registered_admins():
    return list(admin.site._registry.items())


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_lead", "pdd_cs2", "yto_hz_01_user", "ops1"])
def test_admins_not_built_on_the_base_class_are_for_superusers_only(demo, rf, username):
    request = rf.get("/admin/")
    request.user = User.objects.get(username=username)
    for model, model_admin in registered_admins():
        if not isinstance(model_admin, BackOfficeAdmin):
            assert not model_admin.has_module_permission(request), label(model)
            assert not model_admin.has_view_permission(request), label(model)


def admin_url(model, name: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dy_admin", "dy_cs1", "pdd_lead", "pdd_cs2"])
def test_admin_lists_and_pages_never_show_another_shops_rows(both_shops, client, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    checked = 0
    for model, model_admin in registered_admins():
        path = tenant_paths(model).get("tenant_shop_path")
        if not isinstance(model_admin, BackOfficeAdmin) or path in (None, ALL):
            continue
        if not model_admin.has_view_permission(type("R", (), {"user": user})()):
            assert client.get(admin_url(model, "changelist")).status_code == 403, label(model)
            continue
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, label(model)
        shown = response.context["cl"].queryset
        assert shop_keys_of(shown, path) <= {user.shop.key}, label(model)
        foreign = model._default_manager.exclude(**{path: user.shop_id}).first()
        assert foreign is not None, label(model)
        for page in ("change", "history", "delete"):
            # Exactly what a pk that exists nowhere gets: 404, or 403 where the page is refused to the role.
            missing = client.get(admin_url(model, page, 987654321)).status_code
            assert missing in (403, 404), (label(model), page)
            assert client.get(admin_url(model, page, foreign.pk)).status_code == missing, (label(model), page)
        if isinstance(model_admin, BackOfficeHistoryAdmin):
            assert client.get(admin_url(model, "simple_history", foreign.pk, 1)).status_code == 404, label(model)
        # A row the list shows opens (some admins narrow further than the shop: a sub-account sees only its
        # own API tokens).
        own = shown.first() or model._default_manager.filter(**{path: user.shop_id}).first()
        assert client.get(admin_url(model, "change", own.pk)).status_code == 200, label(model)
        checked += 1
    assert checked >= 3


@pytest.mark.django_db
def test_admin_foreign_key_choices_are_scoped(both_shops, client):
    """A main account adding a quota can pick only their own shop's sub-accounts."""
    client.force_login(User.objects.get(username="dy_admin"))
    response = client.get(admin_url(PayoutQuota, "add"))
    choices = {u.username for u in response.context["adminform"].form.fields["user"].queryset}
    assert "dy_cs2" in choices
    assert not any(name.startswith("pdd_") for name in choices)


@pytest.mark.django_db
def test_admin_rejects_posting_another_shops_user_into_a_quota(both_shops, client):
    client.force_login(User.objects.get(username="dy_admin"))
    foreign = User.objects.get(username="pdd_cs2")
    response = client.post(admin_url(PayoutQuota, "add"), {"user": foreign.pk, "per_payout": "10.00", "enabled": "on"})
    assert response.status_code == 200  # the form answers with an error
    assert not PayoutQuota.objects.filter(user=foreign).exists()


@pytest.mark.django_db
def test_api_answers_404_for_another_shops_order(both_shops, api):
    dy = api("tok-dy_admin")
    assert dy.get("/api/v1/orders/PDD2001/").status_code == 404
    assert dy.get("/api/v1/orders/PDD2001/operation-log/").status_code == 404
    assert dy.get("/api/v1/orders/DY1001/").status_code == 200
    listed = dy.get("/api/v1/orders/?page_size=500").json()
    assert listed["count"] == Order.objects.filter(shop__key="dy").count()
    assert {o["shop"] for o in listed["results"]} == {"dy"}
    body = dy.get("/api/v1/orders/NOPE/").json()
    assert body["code"] == "not_found" and body["message"] and body["message_en"]


@pytest.mark.django_db
def test_api_buyer_sees_only_their_orders_and_outlet_users_no_orders(both_shops, api):
    buyer = api("tok-buyer_invalid")
    orders = buyer.get("/api/v1/orders/").json()["results"]
    assert orders and {o["buyer"] for o in orders} == {"buyer_invalid"}
    assert buyer.get("/api/v1/orders/DY1001/").status_code == 404
    assert api("tok-yto_hz_01_user").get("/api/v1/orders/").status_code == 403


@pytest.mark.django_db
def test_operation_log_lists_the_orders_events(both_shops, api):
    OrderEvent.objects.create(order=Order.objects.get(order_no="DY1001"), type="payout_created", at=timezone.now())
    log = api("tok-dy_cs1").get("/api/v1/orders/DY1001/operation-log/").json()["results"]
    assert [e["type"] for e in log] == ["synced", "payout_created"]


@pytest.mark.django_db
def test_admin_autocomplete_offers_only_the_shops_own_sub_accounts(both_shops, client):
    client.force_login(User.objects.get(username="dy_admin"))
    response = client.get("/admin/autocomplete/", {"app_label": "accounts", "model_name": "payoutquota",
                                                   "field_name": "user", "term": "cs"})
    assert response.status_code == 200
    names = {r["text"] for r in response.json()["results"]}
    assert names == {"dy_cs1", "dy_cs2"}
