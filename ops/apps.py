from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations (SPEC §15): health, readiness, metrics and 系统状态. The top of the dependency graph below
    `config`: it reads every app; no app imports it."""

    name = "ops"
    verbose_name = _("Operations")
