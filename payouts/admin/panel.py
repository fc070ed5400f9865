"""The payout panel as the pages show it (PAY-F04, F05): 发起打款 and the approver's page in 待处理."""

from decimal import Decimal

from django.urls import reverse

from orders.models import Order

from ..labels import q04_reasons
from ..models import PayMethod
from ..selectors import payout_panel, payout_problems
from .base import local_time


def panel_for(*, order: Order, user, amount: Decimal | None = None, pay_method: str = PayMethod.BALANCE) -> dict:
    """payout_panel with what the templates show: each rule that refuses the payout for the chosen pay method,
    in the page's language; the PAY-Q04 reasons; earlier payouts with links; the platform's refunds."""
    panel = payout_panel(order=order, actor=user, amount=amount)
    problems = panel["problems"]
    if pay_method != PayMethod.BALANCE:
        problems = payout_problems(order=order, actor=user, amount=amount, pay_method=pay_method)
    panel["problem_rows"] = [{"rule": p.error.rule, "code": p.code, "text": p.text()} for p in problems]
    # "可以打款" only where the chosen method really can pay: no failing rule, and the balance usable for a
    # balance payout (PAY-Q04), so the green line never stands beside the yellow "cannot use the balance".
    panel["all_clear"] = not problems and (pay_method != PayMethod.BALANCE or panel["balance_usable"])
    panel["q04_texts"] = q04_reasons(panel["balance_blocked_reasons"])
    panel["previous_rows"] = [
        {"payout": p, "url": reverse("admin:payouts_payout_change", args=[p.pk]), "created": local_time(p.created_at)}
        for p in panel["previous_payouts"]
    ]
    panel["refund_rows"] = [{"amount": r.amount, "at": local_time(r.at)} for r in panel["platform_shipping_refunds"]]
    return panel
