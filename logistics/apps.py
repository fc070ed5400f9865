from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Parcel interception service")

    def ready(self) -> None:
        from orders.events import VALUE_LABELS

        from . import sweeps  # noqa: F401  (registers the clocks)
        from .models import ReturnOutcome, Settlement

        VALUE_LABELS.update({**dict(Settlement.choices), **dict(ReturnOutcome.choices)})
