from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("After-sales › Small payouts")

    def ready(self) -> None:
        from core import labels

        from . import hooks, sweeps  # noqa: F401  registers the payout clocks and shop_balance_figures
        from .models import (
            CardChannel,
            FailureReason,
            PayMethod,
            PayoutEventType,
            PayoutOrderEventType,
            PayoutSource,
            PayoutStatus,
            PayoutType,
            ScanChannel,
        )

        # The payout timeline (account-card events included; a request's moves are on the order's log).
        labels.register_events("payout", PayoutEventType)
        labels.register_events("order", PayoutOrderEventType)
        labels.register_params(
            amount=_("amount"),
            pay_method=_("pay method"),
            request=_("request number"),
            approved_by=_("approved by"),
            attempt=_("attempt"),
            source=_("reported by"),
            ref=_("transfer reference"),
            reported=_("reported status"),
            status=_("status"),
            why=_("note"),
            reason=_("reason"),
            error_code=_("provider error code"),
            channel=_("channel"),
            account=_("account"),
            expires_at=_("expires at"),
            return_due_at=_("money returns at"),
            card=_("card"),
            # the order's operation log
            payout=_("payout no."),
            payout_type=_("payout type"),
        )
        labels.register_values("pay_method", PayMethod)
        labels.register_subject_params("payout", reason=_("failure reason"))
        labels.register_subject_values("payout", "reason", FailureReason)
        # The order's log says why a payout failed in the same words (its `reason` there is the failure reason).
        labels.register_subject_values("order", "reason", {k: v for k, v in FailureReason.choices if k != "other"})
        labels.register_values("reported", PayoutStatus)
        labels.register_subject_values("payout", "status", PayoutStatus)
        labels.register_values("channel", {**dict(ScanChannel.choices), **dict(CardChannel.choices)})
        labels.register_values("source", PayoutSource)
        labels.register_values("payout_type", PayoutType)
        labels.register_values("why", {"an earlier attempt": _("an earlier attempt")})
        from .labels import ERROR_CODES
        labels.register_values("error_code", ERROR_CODES)
        labels.register_times("expires_at", "return_due_at")
        labels.register_hidden("card")
