from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order management")

    def ready(self) -> None:
        from core import labels

        from .couriers import COURIER_CHOICES
        from .models import OrderEventType

        # The operation log's own types; every app that writes to it registers its types under "order" too.
        labels.register_events("order", OrderEventType)
        # Parameters several apps' events share: one label each, registered here at the base.
        labels.register_params(
            source=_("source"), fields=_("fields"), amount=_("amount"), reason=_("reason"), ticket=_("ticket no."),
            entry=_("entry no."), request=_("request no."), tracking_no=_("tracking number"),
            settlement=_("settlement"), auto=_("automatic"), fee=_("fee"), failure_reason=_("failure reason"),
            outcome=_("outcome"), opened_at=_("opened at"), courier=_("courier"), status=_("status"),
            kind=_("kind"), note=_("note"), outlet=_("outlet"),
        )
        labels.register_times("opened_at")
        labels.register_values("source", {"scenario": _("platform sync")})
        labels.register_values("courier", COURIER_CHOICES)
