from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("System")

    def ready(self) -> None:
        from django.conf import settings

        from . import (
            observability,
            schema,  # noqa: F401  registers the money field's OpenAPI schema (drf-spectacular)
            sweeps,  # noqa: F401  registers the foundation's sweeps
        )

        observability.connect_celery_signals()  # OPS-03: the request id travels into tasks
        if settings.SENTRY_DSN:
            observability.sentry_init(settings.SENTRY_DSN, environment=settings.SENTRY_ENVIRONMENT,
                                      release=settings.SENTRY_RELEASE)
