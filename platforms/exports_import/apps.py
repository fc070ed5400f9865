from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsImportConfig(AppConfig):
    """Importing the platforms' order export files (CON-08), an app of its own inside `platforms` so that it keeps
    its own templates, messages and command; it writes through `platforms.services.orders_upsert`."""

    name = "platforms.exports_import"
    label = "platforms_import"
    verbose_name = _("Orders › Import of order exports")

    def ready(self) -> None:
        from core import labels

        from .services import SOURCE

        labels.register_values("source", {SOURCE: _("order export file")})
