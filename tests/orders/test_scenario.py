"""The scenario loader (API.md): creates or updates by key, idempotent, all-or-nothing with field paths."""

import copy
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import LedgerEntry, PayoutQuota, Role, Shop, ShopAccount, User
from accounts.selectors import ledger_drifts
from core.clock import SHANGHAI
from orders.models import Order, OrderEvent, Parcel
from orders.scenario import ScenarioError, load_scenario
from tests.conftest import DEMO, demo_data

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def test_demo_loads_with_every_role_and_a_clean_ledger(demo):
    assert set(Shop.objects.values_list("key", "profile__code")) == {("dy", "douyin"), ("pdd", "pinduoduo")}
    assert Order.objects.count() >= 30
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {Role.MAIN, Role.CS_ADMIN, Role.SUB, Role.PLATFORM, Role.OUTLET, Role.BUYER}
    account = ShopAccount.objects.get(shop__key="dy")
    assert (account.balance, account.frozen, account.deposit) == (Decimal("20000.00"), Decimal("500.00"), Decimal("2000.00"))
    assert PayoutQuota.objects.get(user__username="dy_cs1").per_payout == Decimal("50.00")
    assert not PayoutQuota.objects.filter(user__username="dy_cs2").exists()
    assert User.objects.get(username="dy_admin").check_password("demo1234")
    assert ledger_drifts() == []


def test_demo_covers_every_eligibility_case(demo):
    orders = Order.objects.all()
    assert set(orders.values_list("source_app", flat=True)) == set(Order.SourceApp.values)
    assert set(orders.values_list("status", flat=True)) == set(Order.Status.values)
    assert set(orders.values_list("goods_kind", flat=True)) == set(Order.GoodsKind.values)
    assert set(orders.values_list("refund_state", flat=True)) == set(Order.RefundState.values)
    assert set(Parcel.objects.values_list("status", flat=True)) == set(Parcel.Status.values)
    assert orders.filter(payment="cod").exists()
    assert orders.filter(local_life=True).exists() and orders.filter(cross_border=True).exists()
    assert orders.filter(status="closed", deposit_presale=True).exists()
    assert orders.filter(status="closed", deposit_presale=False).exists()
    assert orders.filter(created_at__year=2025).exists()  # older than 12 months
    assert set(User.objects.filter(role=Role.BUYER).values_list("sandbox_wallet", flat=True)) == set(User.Wallet.values)


def test_loading_the_same_file_twice_changes_nothing(demo):
    # The file's `activity` (which the fixture leaves out) applies once; from then on nothing changes.
    call_command("load_scenario", str(DEMO))
    before = row_counts()
    snapshot = list(Order.objects.order_by("pk").values())
    accounts = list(ShopAccount.objects.order_by("pk").values())
    call_command("load_scenario", str(DEMO))
    assert row_counts() == before
    assert list(Order.objects.order_by("pk").values()) == snapshot
    assert list(ShopAccount.objects.order_by("pk").values()) == accounts


def test_loading_again_never_moves_an_existing_shops_money(demo):
    """Ledger (RULES §2): a shop's money moves only through its ledger; a second load must not re-sync the
    balance to the file's figure and so undo what happened in between (the activity's payouts here)."""
    call_command("load_scenario", str(DEMO))  # with its activity: payouts hold money
    moved = {a.shop.key: (a.balance, a.frozen, a.deposit) for a in ShopAccount.objects.select_related("shop")}
    assert moved["dy"] != (Decimal("20000.00"), Decimal("500.00"), Decimal("2000.00"))
    entries = LedgerEntry.objects.count()

    call_command("load_scenario", str(DEMO))
    data = demo_data()
    data["shops"][0]["balance"] = "1.00"  # a changed figure does not move an existing shop's money either
    load_scenario(data)

    assert {a.shop.key: (a.balance, a.frozen, a.deposit) for a in ShopAccount.objects.select_related("shop")} == moved
    assert LedgerEntry.objects.count() == entries
    assert ledger_drifts() == []


def test_reload_updates_by_key_and_leaves_the_money_to_the_ledger(demo):
    data = demo_data()
    data["shops"][0]["balance"] = "19000.00"
    data["shops"][0]["status"] = "suspended"
    data["shops"][0]["orders"][0]["status"] = "completed"
    load_scenario(data)

    assert Shop.objects.get(key="dy").status == "suspended"
    assert ShopAccount.objects.get(shop__key="dy").balance == Decimal("20000.00")
    assert LedgerEntry.objects.filter(shop__key="dy", kind="sync").count() == 1  # the opening figures only
    order = Order.objects.get(order_no=data["shops"][0]["orders"][0]["order_no"])
    assert order.status == "completed"
    assert OrderEvent.objects.filter(order=order, type="sync_updated", params__fields=["status"]).exists()
    assert ledger_drifts() == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["shops"][0]["orders"][3].update(paid_amount="abc"), "shops[0].orders[3].paid_amount: not a decimal"),
        (lambda d: d["shops"][0]["orders"][3].update(paid_amount="1.234"),
         "shops[0].orders[3].paid_amount: more than two decimal places"),
        (lambda d: d["shops"][1]["orders"][0].update(status="lost"), "shops[1].orders[0].status: not one of"),
        (lambda d: d["shops"][0]["orders"][0]["parcels"][0].update(tracking_no="YT123"),
         "shops[0].orders[0].parcels[0].tracking_no: not a yto tracking number"),
        (lambda d: d["shops"][0]["orders"][1].update(buyer="nobody"), "shops[0].orders[1].buyer: no buyer 'nobody'"),
        (lambda d: d["shops"][0]["orders"][1].update(created_at="yesterday"),
         "shops[0].orders[1].created_at: not an ISO 8601 time"),
        (lambda d: d["shops"][0]["orders"][1].update(colour="red"), "shops[0].orders[1].colour: unknown field"),
        (lambda d: d["shops"][0].update(profile="taobao"), "shops[0].profile: not one of"),
        (lambda d: d["shops"][0]["users"][0].update(role="boss"), "shops[0].users[0].role: not one of"),
        (lambda d: d["shops"][0].update(balance="-1.00"), "shops[0].balance: less than 0"),
        (lambda d: d["shops"][1]["orders"].append(copy.deepcopy(d["shops"][0]["orders"][0])),
         "also appears at shops[0].orders[0]"),
        (lambda d: d["shops"][0]["orders"][0]["items"][0].update(quantity=0), "items[0].quantity: less than 1"),
        (lambda d: d["outlets"][0].update(courier="sf"), "outlets[0].courier: not one of"),
        (lambda d: d.update(shops={}), "shops: not a list"),
        (lambda d: d["shops"][0]["users"].append({"username": "dy_boss", "role": "main"}),
         "shops[0].users: more than one main account (dy_admin, dy_boss)"),
    ],
)
def test_a_bad_file_names_the_field_and_writes_nothing(db, mutate, expected):
    before = row_counts()
    data = demo_data()
    mutate(data)

    with pytest.raises(ScenarioError) as exc:
        load_scenario(data)

    assert any(expected in line for line in exc.value.errors), exc.value.errors
    assert row_counts() == before


def test_a_bad_file_after_a_good_one_changes_nothing(demo, tmp_path):
    before = row_counts()
    accounts = list(ShopAccount.objects.values())
    data = demo_data()
    data["shops"][0]["balance"] = "1.00"  # valid, but the file fails further down
    data["shops"][1]["orders"][2]["paid_amount"] = "x"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_scenario", str(path))

    assert row_counts() == before
    assert list(ShopAccount.objects.values()) == accounts


def test_orders_and_people_cannot_move_between_shops(demo):
    data = demo_data()
    moved_order = data["shops"][0]["orders"].pop(0)
    data["shops"][1]["orders"].append(moved_order)
    data["shops"][1]["users"].append(data["shops"][0]["users"].pop(1))  # dy_cs1 "moves" to pdd
    before = row_counts()

    with pytest.raises(ScenarioError) as exc:
        load_scenario(data)

    assert any("belongs to another shop" in e and "orders" in e for e in exc.value.errors), exc.value.errors
    assert any("'dy_cs1' belongs to another shop" in e for e in exc.value.errors), exc.value.errors
    assert row_counts() == before


def test_a_shop_keeps_its_one_main_account(demo):
    data = demo_data()
    data["shops"][0]["users"][0]["username"] = "dy_new_admin"
    before = row_counts()

    with pytest.raises(ScenarioError) as exc:
        load_scenario(data)

    assert exc.value.errors == ["shops[0].users[0].role: the shop's main account is already 'dy_admin'"]
    assert row_counts() == before


def test_not_json_is_refused_cleanly(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ nope", encoding="utf-8")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("load_scenario", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_scenario", str(tmp_path / "missing.json"))


def test_the_minimal_example_of_api_md_loads_with_defaults(db):
    data = {
        "shops": [{"key": "s1", "name": "示例小店", "profile": "douyin",
                   "users": [{"username": "s1_admin", "role": "main", "password": "pw", "token": "tok-s1-admin"}],
                   "orders": [{"order_no": "DY1", "buyer": "b1", "source_app": "douyin", "status": "shipped",
                               "category": "c1", "created_at": "2026-11-01T10:00:00+08:00", "paid_amount": "10.00",
                               "items": [{"product_id": "P1", "name": "灯", "price": "10.00", "quantity": 1}]}]}],
        "buyers": [{"username": "b1"}],
        "categories": [{"code": "c1"}],
    }
    load_scenario(data)
    shop = Shop.objects.get(key="s1")
    assert (shop.deposit_paid, shop.unpaid_bill, shop.aggregated_account) == (True, False, False)
    order = Order.objects.get(order_no="DY1")
    assert (order.payment, order.refund_state, order.goods_kind) == ("online", "none", "physical")
    assert ShopAccount.objects.get(shop=shop).balance == Decimal("0.00")


def minimal(**order) -> dict:
    return {
        "shops": [{"key": "s1", "name": "示例小店", "profile": "douyin", "aggregated_account": True, "balance": "100.00",
                   "users": [{"username": "s1_admin", "role": "main", "password": "pw"}],
                   "orders": [{"order_no": "DY1", "buyer": "b1", "source_app": "douyin", "status": "shipped",
                               "category": "c1", "created_at": "-10d", "paid_amount": "10.00",
                               "items": [{"product_id": "P1", "name": "灯", "price": "10.00", "quantity": 1}],
                               **order}]}],
        "buyers": [{"username": "b1"}],
        "categories": [{"code": "c1"}],
    }


LOADED = dt.datetime(2027, 3, 1, 9, 30, tzinfo=SHANGHAI)


def test_times_relative_to_the_load_and_absolute_ones_still_accepted(db):
    """API.md "Scenario loader": "-10d", "-2h", "-9d-23h-48m", "now" count from the load; ISO times as written."""
    load_scenario(minimal(paid_at="-9d-23h-48m", confirmed_receipt_at="-2h", group_formed_at="now",
                          platform_shipping_refunds=[{"amount": "3.00", "at": "-1d"},
                                                     {"amount": "2.00", "at": "2027-02-20T08:00:00+08:00"}]),
                  now=LOADED)
    order = Order.objects.get(order_no="DY1")
    assert order.created_at == LOADED - dt.timedelta(days=10)
    assert order.paid_at == LOADED - dt.timedelta(days=9, hours=23, minutes=48)
    assert order.confirmed_receipt_at == LOADED - dt.timedelta(hours=2)
    assert order.group_formed_at == LOADED
    assert sorted(order.platform_shipping_refunds.values_list("at", flat=True)) == [
        dt.datetime(2027, 2, 20, 8, 0, tzinfo=SHANGHAI), LOADED - dt.timedelta(days=1)]


def test_loading_again_later_keeps_the_relative_times_of_existing_orders(db):
    """Loading twice changes nothing, even a day later: an order's relative times count from its first load."""
    data = minimal(paid_at="-2h", platform_shipping_refunds=[{"amount": "3.00", "at": "-1d"}])
    load_scenario(data, now=LOADED)
    before = row_counts()
    snapshot = list(Order.objects.values())
    load_scenario(data, now=LOADED + dt.timedelta(days=3))
    assert row_counts() == before and list(Order.objects.values()) == snapshot


@pytest.mark.parametrize("value", ["-10x", "10d", "-d", "yesterday", "2026-13-01T10:00:00+08:00"])
def test_a_time_neither_iso_nor_relative_is_refused_with_its_path(db, value):
    with pytest.raises(ScenarioError) as info:
        load_scenario(minimal(created_at=value))
    assert any(e.startswith("shops[0].orders[0].created_at: not an ISO 8601 time") for e in info.value.errors)


def test_the_demo_does_not_age(db):
    """The demo's times are all relative: loaded on any day, its baseline order is recent and can be paid."""
    from payouts.services import PayoutInput, payout_create

    text = DEMO.read_text(encoding="utf-8")
    assert not re.search(r'"\d{4}-\d\d-\d\dT', text)  # no absolute time left in the file
    later = dt.datetime(2029, 6, 15, 15, 0, tzinfo=SHANGHAI)
    with time_machine.travel(later, tick=False):
        load_scenario(demo_data())
        order = Order.objects.get(order_no="DY1001")
        assert later - dt.timedelta(days=30) < order.created_at < later
        payout = payout_create(order=order, actor=User.objects.get(username="dy_admin"), data=PayoutInput(
            type="shipping_fee", amount=Decimal("5.00"), reason="运费补偿", buyer_message="已为您补运费"))
    assert payout.status in ("processing", "pending")
