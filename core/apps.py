from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("System")

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  registers the money field's OpenAPI schema (drf-spectacular)
            sweeps,  # noqa: F401  registers the foundation's sweeps
        )
