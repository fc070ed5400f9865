from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChattoolsConfig(AppConfig):
    """Chat tools (飞鸽 sidebars, the merchant app, the Pinduoduo workbench): one order in one call
    (`orders/{order_no}/context/`) and the reference sidebar page (`/sidebar/`). Reads only: every action
    goes through the feature apps' own endpoints."""

    name = "chattools"
    verbose_name = _("Chat tools")
    default_auto_field = "django.db.models.BigAutoField"
