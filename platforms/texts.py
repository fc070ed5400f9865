"""The station message of this app (SPEC §10): English source, Chinese in platforms/locale."""

from django.utils.translation import gettext_lazy as _

from notifications.texts import Text

PLATFORM_REAUTH_NEEDED = Text(  # to the shop's main account, station message (CON-02)
    "platform_reauth_needed",
    _("Shop authorization expired"),
    _("The platform refused to renew the authorization of the shop “%(shop)s” (%(code)s: %(message)s). Orders "
      "are not synced until the shop authorizes again on the 店铺授权 page."),
)
