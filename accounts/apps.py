from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Shops and people")

    def ready(self) -> None:
        from . import sweeps  # noqa: F401  registers ledger_verify
        from .tokencache import connect

        connect()  # a saved token or user invalidates the token cache
