"""Operation-log labels that logistics adds to orders.events.EVENT_LABELS. Listed here as well so that
they are translated in this app's own catalog (the project catalog belongs to the lead)."""

from django.utils.translation import gettext_noop

ORDER_EVENT_LABELS = (
    gettext_noop("parcel interception requested"),
    gettext_noop("parcel intercepted"),
    gettext_noop("parcel interception failed"),
    gettext_noop("intercepted parcel returned"),
    gettext_noop("return of intercepted parcel failed"),
)
