from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("After-sales › Small payouts")

    def ready(self) -> None:
        from core import labels

        from . import sweeps  # noqa: F401  registers the payout clocks
        from .models import FailureReason, PayMethod, PayoutType

        # Stop-gap of the aftersales-logistics branch (orders.events' maps are gone): the payouts branch
        # registers payouts' order-log types and labels properly; take its version of this file.
        labels.register_values(None, {**dict(FailureReason.choices), **dict(PayMethod.choices),
                                      **dict(PayoutType.choices)})
        labels.register_events("order", {
            "payout_created": _("small payout started"), "payout_succeeded": _("small payout succeeded"),
            "payout_failed": _("small payout failed"), "payout_closed": _("small payout closed"),
            "payout_requested": _("small payout request sent"),
            "payout_request_approved": _("small payout request approved"),
            "payout_request_rejected": _("small payout request rejected"),
        })
        labels.register_params(payout=_("payout no."), payout_type=_("payout type"), pay_method=_("pay method"))
