from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("After-sales › Small payouts")

    def ready(self) -> None:
        from . import sweeps  # noqa: F401  registers the payout clocks
