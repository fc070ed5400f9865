"""What payouts contributes to other apps through core.hooks (registered in PayoutsConfig.ready()), and the
payout's own hooks other parts subscribe to (the buyer's pages, PAY-B03/B04):

- `payout_buyer_identity_needed(payout)`: a WeChat payout is pending with `buyer_identity_needed` (the buyer
  has no openid under the merchant's app yet): send the buyer the authorization link. When the openid is
  known, `payouts.services.payout_buyer_identity_known(payout_id=…)` submits the payout.
- `payout_waiting_for_buyer(payout)`: WeChat answered WAIT_USER_CONFIRM; `payout.package_info` and
  `payout.confirm_deadline` are stored: send the buyer the confirm-receipt link.

Both fire after the commit of the change they announce (never inside a rolled-back transaction); a
listener's exception is logged and does not undo the payout's change. Subscribe with `@on(name)`.
"""

import logging
from collections.abc import Callable

from core import hooks

from .selectors import paid_out_today

logger = logging.getLogger(__name__)

BUYER_IDENTITY_NEEDED = "payout_buyer_identity_needed"
WAITING_FOR_BUYER = "payout_waiting_for_buyer"
_LISTENERS: dict[str, list[Callable]] = {BUYER_IDENTITY_NEEDED: [], WAITING_FOR_BUYER: []}


@hooks.on("shop_balance_figures")
def shop_balance_paid_out_today(*, shop_id: int) -> dict:
    return {"paid_out_today": paid_out_today(shop_id=shop_id)}


def on(name: str) -> Callable[[Callable], Callable]:
    if name not in _LISTENERS:
        raise ValueError(f"unknown payout hook {name!r}")

    def register(func: Callable) -> Callable:
        if func not in _LISTENERS[name]:
            _LISTENERS[name].append(func)
        return func

    return register


def _fire(name: str, payout) -> None:
    for listener in list(_LISTENERS[name]):
        try:
            listener(payout)
        except Exception:
            logger.exception("payout %s: a %s listener failed", payout.pk, name)


def payout_buyer_identity_needed(payout) -> None:
    _fire(BUYER_IDENTITY_NEEDED, payout)


def payout_waiting_for_buyer(payout) -> None:
    _fire(WAITING_FOR_BUYER, payout)
