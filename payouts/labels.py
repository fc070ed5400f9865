"""How the admin reads the codes that services write: payout events, their details and the PAY-Q04 reasons.
English source strings, Chinese in payouts/locale."""

from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

from .models import CardChannel, FailureReason, PayMethod, PayoutStatus, PayoutType, ScanChannel

EVENT_LABELS = {
    "created": _("payout created"),
    "submitted": _("submitted to the payment provider"),
    "continued": _("continued by the operator"),
    "auto_submitted": _("submitted automatically"),
    "succeeded": _("payout succeeded"),
    "failed": _("payout failed"),
    "hold_released": _("held money released"),
    "retried": _("retried"),
    "callback_ignored": _("provider report recorded and ignored"),
    "late_success_flagged": _("success after the close flagged to platform staff"),
    "closed": _("payout closed"),
    "refunded_to_channel": _("refunded to the paying channel"),
    "returned": _("money returned to the balance"),
    "top_up_continued": _("top-up continued"),
    "topped_up": _("top-up paid"),
    "top_up_failed": _("top-up failed"),
    "card_sent": _("account card sent"),
    "card_expired": _("account card expired"),
    "card_submitted": _("account submitted by the buyer"),
}

PARAM_LABELS = {
    "amount": _("amount"),
    "pay_method": _("pay method"),
    "request": _("request number"),
    "approved_by": _("approved by"),
    "attempt": _("attempt"),
    "source": _("reported by"),
    "ref": _("transfer reference"),
    "reported": _("reported status"),
    "status": _("status"),
    "why": _("note"),
    "reason": _("failure reason"),
    "error_code": _("provider error code"),
    "channel": _("channel"),
    "account": _("account"),
    "expires_at": _("expires at"),
    "return_due_at": _("money returns at"),
    "card": _("card"),
}

SOURCE_LABELS = {"callback": _("provider callback"), "query": _("provider query"), "sandbox": _("sandbox")}

Q04_REASONS = {
    "zero_fee_entry": _("the shop joined at zero fee and has not paid its deposit"),
    "no_quota": _("you are neither the main account nor a customer-service admin and have no enabled quota"),
    "quota_per_payout": _("the amount is over your per-payout limit"),
    "quota_daily": _("your balance payouts today plus this one are over your daily limit"),
    "shop_balance_cap": _("the shop's balance payouts today plus this one are over the shop's daily balance cap"),
    "scan_only_age": _("the group formed 3–12 months ago: scan-to-pay only"),
}

_VALUE_LABELS = {
    "pay_method": dict(PayMethod.choices),
    "reason": dict(FailureReason.choices),
    "reported": dict(PayoutStatus.choices),
    "status": dict(PayoutStatus.choices),
    "channel": {**dict(ScanChannel.choices), **dict(CardChannel.choices)},
    "source": SOURCE_LABELS,
    "type": dict(PayoutType.choices),
    "why": {"an earlier attempt": _("an earlier attempt")},
}

_TIMES = ("expires_at", "return_due_at")


def chinese() -> bool:
    return (translation.get_language() or "zh-hans").startswith("zh")


def error_text(exc: ApplicationError) -> str:
    """The refusal as the page's language says it, with its SPEC rule."""
    text = exc.message if chinese() else exc.message_en
    return f"{text}({exc.error.rule})" if exc.error.rule and chinese() else (
        f"{text} ({exc.error.rule})" if exc.error.rule else text)


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def event_details(params: dict) -> str:
    """An event's parameters in the page's language; card tokens (one-time ids) are not shown."""
    parts = []
    for key, value in (params or {}).items():
        if key == "card" or value in (None, ""):
            continue
        label = PARAM_LABELS.get(key, key)
        shown = _VALUE_LABELS.get(key, {}).get(value, value) if isinstance(value, str) else value
        if key in _TIMES and isinstance(value, str) and (moment := parse_datetime(value)) is not None:
            shown = formats.localize(timezone.localtime(moment))
        parts.append(f"{label}: {shown}")
    return "; ".join(str(p) for p in parts)


def q04_reasons(codes: list[str]) -> list[str]:
    return [str(Q04_REASONS.get(code, code)) for code in codes]
