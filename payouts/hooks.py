"""What payouts contributes to other apps through core.hooks (registered in PayoutsConfig.ready())."""

from core import hooks

from .selectors import paid_out_today


@hooks.on("shop_balance_figures")
def shop_balance_paid_out_today(*, shop_id: int) -> dict:
    return {"paid_out_today": paid_out_today(shop_id=shop_id)}
