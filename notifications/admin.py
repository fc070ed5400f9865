"""消息: every message the product sent, read-only; and the inline that shows an object's messages on its
page (a payout's)."""

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import SHOP_AND_PLATFORM
from core.admin import BackOfficeAdmin, BackOfficeInline

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM
    list_display = ("created_at", "order", "recipient_name", "channel", "title")  # the title says what `kind` codes
    list_filter = ("channel",)
    list_select_related = ("order", "recipient")
    search_fields = ("=order__order_no",)
    fields = ("created_at", "order", "about_link", "recipient_name", "channel", "title", "body", "read_at")
    readonly_fields = fields

    @admin.display(description=_("recipient"))
    def recipient_name(self, obj):
        return obj.recipient.username if obj.recipient_id else _("the shop")

    @admin.display(description=_("about"))
    def about_link(self, obj):
        if obj.about_type_id is None:
            return "-"
        label = f"{obj.about_type.name} {obj.about_id}"
        try:
            url = reverse(f"admin:{obj.about_type.app_label}_{obj.about_type.model}_change", args=[obj.about_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)


class NotificationInline(GenericTabularInline, BackOfficeInline):
    """The messages about the page's object, oldest first."""

    model = Notification
    ct_field = "about_type"
    ct_fk_field = "about_id"
    fields = ("created_at", "channel", "recipient", "title", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")
