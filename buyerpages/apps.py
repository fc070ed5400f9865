from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuyerpagesConfig(AppConfig):
    """The buyer's mobile pages under `/b/` (SPEC §14, PAY-B01..B04): the account card, WeChat identity and
    confirm receipt, each reached by a signed link in the buyer's message. A layer above payouts: it may
    import payouts, nothing imports it; it learns of a payout that needs the buyer through core.hooks."""

    name = "buyerpages"
    verbose_name = _("Buyer pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  the links go out with the buyer's messages
