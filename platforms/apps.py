from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "platforms"
    verbose_name = _("Platform connections")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import labels

        from . import sweeps  # noqa: F401  (registers the clocks)
        from .models import ConnectionEventType

        labels.register_events("platformconnection", ConnectionEventType)
        labels.register_values("source", {"douyin": _("Douyin sync"), "pinduoduo": _("Pinduoduo sync")})
