from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RailsConfig(AppConfig):
    """The real payment rails, an app of its own inside payouts: payouts knows only its provider protocol;
    this app plugs the shops' rails and their failure codes into it."""

    name = "payouts.rails"
    label = "rails"
    verbose_name = _("After-sales › Payment rails")

    def ready(self) -> None:
        from core import labels
        from payouts.labels import error_code_labels
        from payouts.provider import ERROR_CLASSES, SHOP_PROVIDERS, ErrorClass

        from . import (
            checks,  # noqa: F401  the startup check
            configured_provider,
            reconcile,  # noqa: F401  the rails_reconcile clock
        )
        from .taxonomy import RAIL_ERROR_CLASSES

        ERROR_CLASSES.update({code: ErrorClass(kind) for code, kind in RAIL_ERROR_CLASSES.items()})
        labels.register_values("error_code", error_code_labels(RAIL_ERROR_CLASSES))  # SEC-06: words, not codes
        if configured_provider not in SHOP_PROVIDERS:
            SHOP_PROVIDERS.append(configured_provider)
        from django.db.models.signals import post_delete, post_save

        from . import shop_rails_changed
        from .models import ShopRail

        post_save.connect(shop_rails_changed, sender=ShopRail, dispatch_uid="shop-rails-save")
        post_delete.connect(shop_rails_changed, sender=ShopRail, dispatch_uid="shop-rails-delete")
