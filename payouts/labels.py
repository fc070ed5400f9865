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
