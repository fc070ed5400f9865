"""The unread count of the signed-in person's station messages, for the admin header (SPEC §10)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..selectors import inbox_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_link(context) -> str:
    user = getattr(context.get("request"), "user", None)
    if user is None or not getattr(user, "is_shop_member", False):
        return ""
    count = inbox_unread_count(user)
    url = reverse("admin:notifications_inboxmessage_changelist")
    return format_html('<a href="{}" data-testid="inbox-unread" data-unread="{}">{} ({})</a> / ', url, count,
                       _("Station messages"), count)
