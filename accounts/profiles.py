"""Default platform rule profiles: the numbers of SPEC §4.0–§7 (* = our default, not the platform's)."""

from decimal import Decimal

_COMMON = {
    "min_amount": Decimal("0.01"),
    "payout_interval_seconds": 60,
    "shop_daily_cap": Decimal("15000.00"),
    "order_age_months": 12,
    "close_after_days": 7,
    "return_working_day": 3,
    "card_expiry_hours": 72,
    "top_up_window_seconds": 3600,
    "aftersales_period_days": 7,
    "entry_open_days": 5,
    "entry_max_order_age_days": 150,
    "applications_per_order": 5,
    "reship_apply_days_after_receipt": 15,
    "reship_answer_hours": 48,
    "reship_ship_hours": 48,
    "reship_intervention_hours": 48,
    "reship_late_coupon": Decimal("3.00"),
    "interception_fee": Decimal("3.00"),
    "claim_opens_after_hours": 7 * 24,
    "claim_closes_after_hours": 30 * 24,
    "claim_max_amount": Decimal("1000.00"),
}

DEFAULT_PROFILES: dict[str, dict] = {
    "douyin": {
        **_COMMON,
        "platform": "douyin",
        "name": "抖店默认规则",
        "payouts_per_order": 5,
        "order_cap": Decimal("500.00"),
        "order_cap_promo": Decimal("500.00"),
        "shop_daily_balance_cap": None,
        "order_age_from_group_formed": False,
        "scan_only_from_months": None,
        "pending_auto_submit_seconds": 30 * 60,
        "failure_releases_hold": True,
        "account_card_enabled": False,
        "scan_to_pay_enabled": False,
        "allowed_source_apps": ["douyin", "douyin_huoshan"],
    },
    "pinduoduo": {
        **_COMMON,
        "platform": "pinduoduo",
        "name": "拼多多默认规则",
        "payouts_per_order": 3,
        "order_cap": Decimal("500.00"),  # *
        "order_cap_promo": Decimal("500.00"),  # *
        "min_amount": Decimal("1.00"),
        "shop_daily_balance_cap": Decimal("15000.00"),  # *
        "order_age_from_group_formed": True,
        "scan_only_from_months": 3,
        "pending_auto_submit_seconds": 0,
        "failure_releases_hold": False,
        "account_card_enabled": True,
        "scan_to_pay_enabled": True,
        "allowed_source_apps": ["pinduoduo"],
    },
}
