from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from core import labels

        from . import sweeps  # noqa: F401  (registers the clocks)
        from .models import AftersalesOrderEventType, ReshipReason, TicketEventType

        labels.register_events("ticket", TicketEventType)
        labels.register_events("order", AftersalesOrderEventType)
        labels.register_params(
            labels=_("labels"), ship_deadline=_("ship by"), intervention_until=_("intervention window ends"),
            until=_("until"), then=_("then"), late=_("shipped late"), remedy=_("remedy"), cause=_("cause"),
            penalty=_("penalty"), coupon=_("cash coupon"), charged_from=_("charged from"), closes_at=_("closes at"),
        )
        labels.register_times("ship_deadline", "intervention_until", "until", "closes_at")
        labels.register_values("reason", ReshipReason)
        labels.register_values("labels", {"overdue_aftersales": _("overdue after-sales")})
        labels.register_values("then", {"arbitration": _("platform arbitration")})
        labels.register_values("outcome", {"buyer": _("for the buyer"), "merchant": _("for the merchant")})
        labels.register_values("kind", {"arbitration": _("arbitration"), "intervention": _("intervention")})
        labels.register_values("remedy", {"reship": _("merchant ships within 48 hours"), "refund": _("refund in full")})
        labels.register_values("failure_reason", {"buyer_account_invalid": _("the buyer's account cannot receive it")})
        labels.register_values("penalty", {"late_shipment": _("late shipment")})
        labels.register_values("cause", {
            "merchant_approved": _("merchant approved"), "interception_succeeded": _("parcel intercepted"),
            "shipment_deadline": _("shipment deadline missed"), "arbitration": _("platform arbitration"),
            "intervention": _("platform intervention"), "platform_advance_payment": _("platform advance payment"),
            "nothing_refundable": _("nothing left to refund"),
            "intervention_window_unused": _("intervention window passed unused"),
        })
        # Where the shop's money came from (accounts.services.ledger_charge, ASE-R03 waterfall).
        ledger_sources = {"balance": _("available balance"), "deposit": _("deposit"),
                          "platform_advance": _("platform advance")}
        labels.register_values("source", ledger_sources)
        labels.register_values("charged_from", ledger_sources)
