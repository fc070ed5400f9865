"""The PAY-Q04 reasons a balance payout is blocked, as the panel and the admin read them. English source
strings, Chinese in payouts/locale.

Timeline labels (payout events, their parameters and coded values) are declared beside the models and
registered with `core.labels` in `PayoutsConfig.ready()`.
"""

from django.utils.translation import gettext_lazy as _

Q04_REASONS = {
    "zero_fee_entry": _("the shop joined at zero fee and has not paid its deposit"),
    "no_quota": _("you are neither the main account nor a customer-service admin and have no enabled quota"),
    "quota_per_payout": _("the amount is over your per-payout limit"),
    "quota_daily": _("your balance payouts today plus this one are over your daily limit"),
    "shop_balance_cap": _("the shop's balance payouts today plus this one are over the shop's daily balance cap"),
    "scan_only_age": _("the group formed 3–12 months ago: scan-to-pay only"),
}


def q04_reasons(codes: list[str]) -> list[str]:
    return [str(Q04_REASONS.get(code, code)) for code in codes]


# A rail's failure code (a payout event's `error_code`) as the timeline reads it (SEC-06: never the code).
ERROR_CODES = {
    "ACCOUNT_INVALID": _("the buyer's receiving account is invalid"),
    "NAME_MISMATCH": _("the account holder's name does not match"),
    "ACCOUNT_FROZEN": _("the buyer's receiving account is frozen"),
    "SYSTEM_BUSY": _("the payment rail was busy"),
    "TIMEOUT": _("the payment rail did not answer in time"),
    "FREQUENCY_LIMITED": _("too many requests to the payment rail"),
    "RISK_REJECTED": _("refused by the payment rail's risk control"),
    "QUOTA_EXCEEDED": _("over the payment rail's limit"),
    "NOT_FOUND": _("the payment rail has no such transfer"),
    "CANCELLED": _("cancelled at the payment rail"),
}
ERROR_CLASS_LABELS = {
    "buyer_fixable": _("the buyer's receiving account cannot take it"),
    "transient": _("the payment rail was busy"),
    "terminal": _("refused by the payment rail"),
}


def error_code_labels(classes: dict[str, str]) -> dict:
    """Labels of a rail's own codes by what they mean (`classes`: code → buyer_fixable / transient / terminal)."""
    return {code: ERROR_CLASS_LABELS[kind] for code, kind in classes.items() if kind in ERROR_CLASS_LABELS}
