from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("After-sales › Small payouts")

    def ready(self) -> None:
        from orders.events import VALUE_LABELS

        from . import hooks, sweeps  # noqa: F401  registers the payout clocks and shop_balance_figures
        from .models import FailureReason, PayMethod, PayoutType

        VALUE_LABELS.update({**dict(FailureReason.choices), **dict(PayMethod.choices), **dict(PayoutType.choices)})
