"""Eligibility, limits and filling-in rules of small payouts (SPEC §4.1–§4.3, §4.7), through payout_create."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import LedgerEntry, PayoutQuota, PlatformProfile, Shop, ShopAccount
from accounts.selectors import ledger_drifts
from core.errors import ApplicationError
from payouts.models import Payout, PayoutEvent
from payouts.services import payout_create

pytestmark = pytest.mark.django_db


def refused(order, data, actor) -> ApplicationError:
    """Assert the payout is refused and nothing changed; return the error."""
    payouts, entries, events = Payout.objects.count(), LedgerEntry.objects.count(), PayoutEvent.objects.count()
    balance = ShopAccount.objects.get(shop_id=order.shop_id).balance
    with pytest.raises(ApplicationError) as info:
        payout_create(order=order, data=data, actor=actor)
    assert Payout.objects.count() == payouts
    assert LedgerEntry.objects.count() == entries
    assert PayoutEvent.objects.count() == events
    assert ShopAccount.objects.get(shop_id=order.shop_id).balance == balance
    return info.value


def code_of(order, data, actor) -> str:
    return refused(order, data, actor).code


# ---- eligibility -----------------------------------------------------------------------------------


def test_pay_e01_only_douyin_and_huoshan_orders(orders, users, pay):
    assert code_of(orders["DY1003"], pay(), users["dy_admin"]) == "order_source_not_supported"
    assert code_of(orders["DY1004"], pay(), users["dy_admin"]) == "order_source_not_supported"
    assert payout_create(order=orders["DY1002"], data=pay(), actor=users["dy_admin"]).status == "processing"


def test_pay_e02_cash_on_delivery_refused(orders, users, pay):
    error = refused(orders["DY1005"], pay(), users["dy_admin"])
    assert (error.code, error.error.rule) == ("order_not_paid_online", "PAY-E02")


def test_pay_e03_order_age_douyin_12_months_pinduoduo_group_formed_1_year(orders, users, pay):
    assert code_of(orders["DY1006"], pay(), users["dy_admin"]) == "order_too_old"
    assert code_of(orders["PDD2002"], pay(), users["pdd_admin"]) == "order_too_old"
    order = orders["DY1001"]
    order.created_at = timezone.now() - dt.timedelta(days=300)
    order.save()
    assert payout_create(order=order, data=pay(), actor=users["dy_admin"]).pk


def test_pay_e03_twelve_calendar_months_boundary(orders, users, pay):
    order = orders["DY1001"]
    order.created_at = dt.datetime(2025, 11, 30, 10, 0, tzinfo=dt.UTC)
    order.save()
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 59, tzinfo=dt.UTC)):
        assert payout_create(order=order, data=pay(), actor=users["dy_admin"]).pk
    PlatformProfile.objects.update(payout_interval_seconds=0)
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)):
        assert code_of(order, pay(), users["dy_admin"]) == "order_too_old"


def test_pay_e04_statuses_closed_only_for_presale_and_pinduoduo_group_formed(orders, users, pay):
    assert code_of(orders["DY1010"], pay(), users["dy_admin"]) == "order_status_not_allowed"
    assert payout_create(order=orders["DY1009"], data=pay(), actor=users["dy_admin"]).pk
    assert payout_create(order=orders["DY1008"], data=pay(), actor=users["dy_admin"]).pk
    assert code_of(orders["PDD2004"], pay(), users["pdd_admin"]) == "order_status_not_allowed"
    assert code_of(orders["PDD2010"], pay(), users["pdd_admin"]) == "order_status_not_allowed"
    assert payout_create(order=orders["PDD2009"], data=pay(), actor=users["pdd_admin"]).pk


@pytest.mark.parametrize(
    "change, code",
    [
        ({"aggregated_account": False}, "aggregated_account_not_opened"),  # PAY-E05
        ({"status": Shop.Status.SUSPENDED}, "shop_not_operating"),  # PAY-E08
        ({"status": Shop.Status.RECTIFICATION}, "shop_not_operating"),  # PAY-E08
        ({"withdrawal_frozen": True}, "shop_withdrawal_frozen"),  # PAY-E08
        ({"qualification": Shop.Qualification.INDIVIDUAL}, "individual_shop_not_supported"),  # PAY-E09
    ],
)
def test_pay_e05_e08_e09_shop_conditions(orders, users, pay, change, code):
    order = orders["DY1001"]
    Shop.objects.filter(pk=order.shop_id).update(**change)
    order.shop.refresh_from_db()
    assert code_of(order, pay(), users["dy_admin"]) == code


def test_pay_e06_local_life_and_pay_e07_cross_border(orders, users, pay):
    assert code_of(orders["DY1011"], pay(), users["dy_admin"]) == "local_life_not_supported"
    assert code_of(orders["DY1012"], pay(), users["dy_admin"]) == "cross_border_not_supported"


def test_pay_l11_pinduoduo_unpaid_bill(orders, users, pay):
    Shop.objects.filter(key="pdd").update(unpaid_bill=True)
    error = refused(orders["PDD2001"], pay(), users["pdd_admin"])
    assert (error.code, error.error.rule) == ("shop_has_unpaid_bill", "PAY-L11")


def test_reporting_order_first_failing_rule_in_spec_order(orders, users, pay):
    """SPEC §4.2: E01–E09, L11, L10, L08, L03, L01, L02, L04, L05, L06, L07, L09, then Q04."""
    # E01 before L10
    assert code_of(orders["DY1003"], pay("0.001"), users["dy_admin"]) == "order_source_not_supported"
    # L11 before L10
    Shop.objects.filter(key="pdd").update(unpaid_bill=True)
    assert code_of(orders["PDD2001"], pay("0.50"), users["pdd_admin"]) == "shop_has_unpaid_bill"
    # L10 before L08
    assert code_of(orders["DY1001"], pay("0.001"), users["dy_cs2"]) == "invalid_amount"
    # L08 before L03
    payout_create(order=orders["DY1001"], data=pay(), actor=users["dy_admin"])
    assert code_of(orders["DY1001"], pay(), users["dy_cs2"]) == "no_payout_permission"
    # L03 before L02
    assert code_of(orders["DY1001"], pay("499.00"), users["dy_admin"]) == "order_payout_too_frequent"
    # L02 before L04 and L09
    ShopAccount.objects.filter(shop__key="dy").update(frozen=0, balance=Decimal("1.00"))
    assert code_of(orders["DY1025"], pay("500.01"), users["dy_admin"]) == "order_payout_cap_exceeded"
    # L04 before L09
    assert code_of(orders["DY1026"], pay("9.91"), users["dy_admin"]) == "order_paid_amount_exceeded"
    # L06 before L09
    assert code_of(orders["DY1002"], pay("50.01"), users["dy_cs1"]) == "quota_per_payout_exceeded"


# ---- limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001", "1.234"])
def test_pay_l10_amount_positive_two_decimals(orders, users, pay, amount):
    error = refused(orders["DY1001"], pay(amount), users["dy_admin"])
    assert (error.code, error.error.rule) == ("invalid_amount", "PAY-L10")


def test_pay_l10_pinduoduo_minimum_one_yuan(orders, users, pay):
    assert code_of(orders["PDD2001"], pay("0.99"), users["pdd_admin"]) == "invalid_amount"
    assert payout_create(order=orders["PDD2001"], data=pay("1.00"), actor=users["pdd_admin"]).pk


def test_pay_l08_douyin_sub_account_without_quota_refused(orders, users, pay):
    error = refused(orders["DY1001"], pay(), users["dy_cs2"])
    assert (error.code, error.error.status) == ("no_payout_permission", 403)
    PayoutQuota.objects.filter(user=users["dy_cs1"]).update(enabled=False)
    assert code_of(orders["DY1001"], pay(), users["dy_cs1"]) == "no_payout_permission"


def test_pay_l08_pinduoduo_sub_account_without_quota_gets_q04_no_quota(orders, users, pay):
    error = refused(orders["PDD2001"], pay(), users["pdd_cs2"])
    assert error.code == "balance_payment_not_allowed"
    assert error.as_dict()["reasons"] == ["no_quota"]
    # scan-to-pay is still offered
    assert payout_create(order=orders["PDD2001"], data=pay(pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_cs2"]).status == "awaiting_top_up"


def test_pay_l03_one_payout_per_order_per_60_seconds_of_any_kind(orders, users, pay):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        payout_create(order=orders["PDD2001"], data=pay(pay_method="scan", scan_channel="alipay"),
                      actor=users["pdd_admin"])
        error = refused(orders["PDD2001"], pay(), users["pdd_admin"])
        assert (error.code, error.error.status) == ("order_payout_too_frequent", 429)
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert code_of(orders["PDD2001"], pay(), users["pdd_admin"]) == "order_payout_too_frequent"
    with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
        assert payout_create(order=orders["PDD2001"], data=pay(), actor=users["pdd_admin"]).pk


def test_pay_l01_douyin_five_payouts_per_order(orders, users, pay, no_interval):
    for _ in range(5):
        payout_create(order=orders["DY1025"], data=pay("1.00"), actor=users["dy_admin"])
    error = refused(orders["DY1025"], pay("1.00"), users["dy_admin"])
    assert error.code == "order_payout_count_reached"
    assert "5次" in error.message


def test_pay_l01_pinduoduo_three_and_failed_counts_until_closed(orders, users, pay, no_interval):
    from payouts.provider import ProviderResult
    from payouts.services import payout_apply_result

    first = payout_create(order=orders["PDD2008"], data=pay("1.00"), actor=users["pdd_admin"])
    payout_apply_result(payout_id=first.pk, result=ProviderResult("failed", "ACCOUNT_INVALID"), source="test")
    for _ in range(2):
        payout_create(order=orders["PDD2008"], data=pay("1.00"), actor=users["pdd_admin"])
    assert code_of(orders["PDD2008"], pay("1.00"), users["pdd_admin"]) == "order_payout_count_reached"


def test_pay_l02_order_cap_500(orders, users, pay, no_interval):
    payout_create(order=orders["DY1025"], data=pay("300.00"), actor=users["dy_admin"])
    error = refused(orders["DY1025"], pay("200.01"), users["dy_admin"])
    assert error.code == "order_payout_cap_exceeded" and "500" in error.message
    assert payout_create(order=orders["DY1025"], data=pay("200.00"), actor=users["dy_admin"]).pk


def test_pay_l02_pinduoduo_promotional_goods_cap(orders, users, pay, no_interval):
    PlatformProfile.objects.filter(code="pinduoduo").update(order_cap_promo=Decimal("100.00"))
    assert code_of(orders["PDD2007"], pay("100.01"), users["pdd_admin"]) == "order_payout_cap_exceeded"
    assert payout_create(order=orders["PDD2007"], data=pay("100.00"), actor=users["pdd_admin"]).pk
    assert payout_create(order=orders["PDD2001"], data=pay("89.00"), actor=users["pdd_admin"]).pk  # regular cap


def test_pay_l04_paid_amount(orders, users, pay, no_interval):
    payout_create(order=orders["DY1026"], data=pay("9.00"), actor=users["dy_admin"])
    assert code_of(orders["DY1026"], pay("0.91"), users["dy_admin"]) == "order_paid_amount_exceeded"
    assert payout_create(order=orders["DY1026"], data=pay("0.90"), actor=users["dy_admin"]).pk


def test_pay_l05_shop_daily_cap_counts_scan_payouts_and_resets_at_shanghai_midnight(orders, users, pay):
    PlatformProfile.objects.filter(code="pinduoduo").update(shop_daily_cap=Decimal("100.00"))
    # 23:00 in Shanghai
    evening = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(evening, tick=False):
        payout_create(order=orders["PDD2001"], data=pay("60.00"), actor=users["pdd_admin"])
        payout_create(order=orders["PDD2011"], data=pay("30.00", pay_method="scan", scan_channel="wechat"),
                      actor=users["pdd_admin"])
        error = refused(orders["PDD2012"], pay("10.01"), users["pdd_admin"])
        assert error.code == "shop_daily_cap_exceeded" and error.error.rule == "PAY-L05"
        assert payout_create(order=orders["PDD2012"], data=pay("10.00"), actor=users["pdd_admin"]).pk
    with time_machine.travel(evening + dt.timedelta(hours=1), tick=False):  # 00:00 next day in Shanghai
        assert payout_create(order=orders["PDD2015"], data=pay("20.00"), actor=users["pdd_admin"]).pk


def test_pay_l05_closed_and_top_up_failed_are_not_counted(orders, users, pay):
    from payouts.services import payout_top_up_expire

    PlatformProfile.objects.filter(code="pinduoduo").update(shop_daily_cap=Decimal("50.00"))
    scan = payout_create(order=orders["PDD2001"], data=pay("50.00", pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"])
    assert code_of(orders["PDD2011"], pay("1.00"), users["pdd_admin"]) == "shop_daily_cap_exceeded"
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, seconds=1)):
        assert payout_top_up_expire(payout_id=scan.pk)
        assert payout_create(order=orders["PDD2011"], data=pay("50.00"), actor=users["pdd_admin"]).pk


def test_pay_l06_douyin_per_payout_limit_refused(orders, users, pay):
    error = refused(orders["DY1001"], pay("50.01"), users["dy_cs1"])
    assert (error.code, error.error.rule) == ("quota_per_payout_exceeded", "PAY-L06")
    assert payout_create(order=orders["DY1001"], data=pay("50.00"), actor=users["dy_cs1"]).quota_user == users["dy_cs1"]


def test_pay_l07_douyin_daily_limit_counts_only_own_balance_payouts_today(orders, users, pay):
    for order_no in ("DY1001", "DY1002", "DY1007", "DY1008"):
        payout_create(order=orders[order_no], data=pay("50.00"), actor=users["dy_cs1"])
    payout_create(order=orders["DY1009"], data=pay("50.00"), actor=users["dy_admin"])  # not cs1's quota
    error = refused(orders["DY1023"], pay("0.01"), users["dy_cs1"])
    assert (error.code, error.error.rule) == ("quota_daily_exceeded", "PAY-L07")
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert payout_create(order=orders["DY1023"], data=pay("50.00"), actor=users["dy_cs1"]).pk


def test_pay_l06_l07_pinduoduo_over_quota_means_q04_not_refusal(orders, users, pay):
    error = refused(orders["PDD2011"], pay("100.01"), users["pdd_cs1"])
    assert error.code == "balance_payment_not_allowed" and error.as_dict()["reasons"] == ["quota_per_payout"]
    for order_no, amount in (("PDD2011", "100.00"), ("PDD2008", "100.00"), ("PDD2012", "89.00")):
        payout_create(order=orders[order_no], data=pay(amount), actor=users["pdd_cs1"])
    error = refused(orders["PDD2009"], pay("11.01"), users["pdd_cs1"])
    assert error.as_dict()["reasons"] == ["quota_daily"]
    assert payout_create(order=orders["PDD2009"], data=pay("11.00"), actor=users["pdd_cs1"]).pk
    scan = payout_create(order=orders["PDD2007"], data=pay("100.01", pay_method="scan", scan_channel="alipay"),
                         actor=users["pdd_cs1"])
    assert scan.quota_user is None and scan.held == 0


def test_pay_l09_available_balance_excludes_frozen(orders, users, pay):
    ShopAccount.objects.filter(shop__key="dy").update(balance=Decimal("100.00"), frozen=Decimal("90.00"))
    error = refused(orders["DY1001"], pay("10.01"), users["dy_admin"])
    assert (error.code, error.error.rule) == ("insufficient_balance", "PAY-L09")
    assert payout_create(order=orders["DY1001"], data=pay("10.00"), actor=users["dy_admin"]).pk
    assert ShopAccount.objects.get(shop__key="dy").available == 0


# ---- scan-to-pay and Q04 ---------------------------------------------------------------------------


def test_pay_q01_douyin_has_no_scan(orders, users, pay):
    assert code_of(orders["DY1001"], pay(pay_method="scan", scan_channel="wechat"), users["dy_admin"]) == \
        "scan_not_supported"


def test_pay_q01_scan_payout_holds_nothing_and_is_counted(orders, users, pay, no_interval):
    before = ShopAccount.objects.get(shop__key="pdd").balance
    payout = payout_create(order=orders["PDD2001"], data=pay("80.00", pay_method="scan", scan_channel="wechat"),
                           actor=users["pdd_admin"])
    assert payout.status == "awaiting_top_up" and payout.held == 0 and payout.counted
    assert ShopAccount.objects.get(shop__key="pdd").balance == before
    assert not LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk)).exists()
    # counted toward the order's paid amount (89.00)
    assert code_of(orders["PDD2001"], pay("9.01"), users["pdd_admin"]) == "order_paid_amount_exceeded"


def test_pay_q03_group_formed_3_to_12_months_ago_scan_only(orders, users, pay):
    error = refused(orders["PDD2003"], pay(), users["pdd_admin"])
    assert error.code == "balance_payment_not_allowed" and error.as_dict()["reasons"] == ["scan_only_age"]
    assert payout_create(order=orders["PDD2003"], data=pay(pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"]).pk


def test_pay_q04_zero_fee_shop_without_deposit_and_shop_balance_cap(orders, users, pay):
    Shop.objects.filter(key="pdd").update(zero_fee_entry=True, deposit_paid=False)
    error = refused(orders["PDD2001"], pay(), users["pdd_admin"])
    assert error.code == "balance_payment_not_allowed" and error.as_dict()["reasons"] == ["zero_fee_entry"]
    Shop.objects.filter(key="pdd").update(zero_fee_entry=False, deposit_paid=True)
    PlatformProfile.objects.filter(code="pinduoduo").update(shop_daily_balance_cap=Decimal("50.00"))
    payout_create(order=orders["PDD2001"], data=pay("40.00"), actor=users["pdd_admin"])
    error = refused(orders["PDD2011"], pay("10.01"), users["pdd_admin"])
    assert error.as_dict()["reasons"] == ["shop_balance_cap"]
    # a scan payout is outside the balance cap
    assert payout_create(order=orders["PDD2011"], data=pay("10.01", pay_method="scan", scan_channel="wechat"),
                         actor=users["pdd_admin"]).pk


def test_pay_q04_customer_service_admin_pays_without_quota(orders, users, pay):
    assert payout_create(order=orders["PDD2001"], data=pay("88.00"), actor=users["pdd_lead"]).quota_user is None


# ---- filling in --------------------------------------------------------------------------------------


def test_pay_f01_type_and_pay_f03_reason_and_message_required(orders, users, pay):
    error = refused(orders["DY1001"], pay(type="gift"), users["dy_admin"])
    assert error.code == "invalid" and "type" in error.as_dict()["fields"]
    error = refused(orders["DY1001"], pay(reason=" ", buyer_message=""), users["dy_admin"])
    assert set(error.as_dict()["fields"]) == {"reason", "buyer_message"}


def test_pay_f02_related_product_must_be_an_item_of_the_order(orders, users, pay):
    error = refused(orders["DY1001"], pay(product_id="NOPE"), users["dy_admin"])
    assert (error.code, error.error.rule) == ("product_not_in_order", "PAY-F02")
    item = orders["DY1001"].items.first()
    assert payout_create(order=orders["DY1001"], data=pay(product_id=item.product_id),
                         actor=users["dy_admin"]).product_id == item.product_id


def test_pay_s01_hold_once_and_ledger_clean(orders, users, pay, rail_busy):
    """PAY-S01: the hold is taken exactly once, also when the rail refuses the first submission."""
    before = ShopAccount.objects.get(shop__key="dy").balance
    payout = payout_create(order=orders["DY1001"], data=pay("12.34"), actor=users["dy_admin"])
    entries = LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk))
    assert [(e.kind, e.balance_delta) for e in entries] == [("payout_hold", Decimal("-12.34"))]
    assert ShopAccount.objects.get(shop__key="dy").balance == before - Decimal("12.34")
    payout.refresh_from_db()
    assert payout.held == Decimal("12.34") and payout.status == "pending"  # PAY-S01: the rail refused it
    assert ledger_drifts() == []


def test_locks_take_only_their_own_rows_never_the_shared_profile(orders, users, pay, rail_busy):
    """A FOR UPDATE over a join would also lock the shop's platform profile — one row shared by every shop
    of the platform — and serialise all shops' payouts. Every lock names its table (FOR UPDATE OF)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from payouts.services import payout_continue

    with CaptureQueriesContext(connection) as queries:
        payout = payout_create(order=orders["DY1001"], data=pay(), actor=users["dy_cs1"])
        payout_continue(payout=payout, actor=users["dy_cs1"])
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) >= 4
    for sql in locks:
        assert " JOIN " not in sql or "FOR UPDATE OF" in sql, sql
        assert "accounts_platformprofile" not in sql.split("FOR UPDATE")[1], sql
