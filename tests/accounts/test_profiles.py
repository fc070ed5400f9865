"""Platform rule profiles carry the numbers of SPEC §4.0 as defaults."""

from decimal import Decimal

import pytest

from accounts.models import PlatformProfile
from accounts.services import profiles_ensure_defaults

pytestmark = pytest.mark.django_db


def test_douyin_defaults_match_the_spec_table():
    profiles_ensure_defaults()
    p = PlatformProfile.objects.get(code="douyin")
    assert (p.payouts_per_order, p.order_cap, p.min_amount) == (5, Decimal("500.00"), Decimal("0.01"))
    assert p.payout_interval_seconds == 60
    assert (p.shop_daily_cap, p.shop_daily_balance_cap, p.order_age_months) == (Decimal("15000.00"), None, 12)
    assert (p.pending_auto_submit_seconds, p.failure_releases_hold, p.scan_to_pay_enabled) == (1800, True, False)
    assert (p.close_after_days, p.return_working_day) == (7, 3)
    assert p.allowed_source_apps == ["douyin", "douyin_huoshan"]


def test_pinduoduo_defaults_match_the_spec_table():
    profiles_ensure_defaults()
    p = PlatformProfile.objects.get(code="pinduoduo")
    assert (p.payouts_per_order, p.order_cap, p.order_cap_promo) == (3, Decimal("500.00"), Decimal("500.00"))
    assert p.min_amount == Decimal("1.00")
    assert (p.shop_daily_cap, p.shop_daily_balance_cap) == (Decimal("15000.00"), Decimal("15000.00"))
    assert (p.order_age_from_group_formed, p.scan_only_from_months, p.pending_auto_submit_seconds) == (True, 3, 0)
    assert (p.failure_releases_hold, p.account_card_enabled, p.card_expiry_hours) == (False, True, 72)
    assert (p.scan_to_pay_enabled, p.top_up_window_seconds) == (True, 3600)


def test_ensuring_defaults_never_overwrites_an_edited_profile():
    profiles_ensure_defaults()
    PlatformProfile.objects.filter(code="douyin").update(payouts_per_order=4)
    profiles_ensure_defaults()
    assert PlatformProfile.objects.get(code="douyin").payouts_per_order == 4
    assert PlatformProfile.objects.count() == 2
