"""消息: every message the product sent, read-only; and the inline that shows an object's messages on its
page (a payout's)."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import F, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import SHOP_ROLES
from accounts.roles import SHOP_AND_PLATFORM
from core.admin import BackOfficeAdmin, BackOfficeInline
from core.clock import now

from .models import Channel, InboxMessage, Notification
from .selectors import inbox_of
from .services import inbox_mark_read

# The kinds of a shop person's station messages (SPEC §10), as the inbox's filter names them.
INBOX_KINDS = {
    "payout_failed": _("payout failed"), "payout_request_created": _("payout request to approve"),
    "payout_request_decided": _("payout request decided"),
    "reship_auto_approve_soon": _("reship approved automatically soon"),
    "entry_request_created": _("request to re-open after-sales"),
}


def about_link(obj):
    if obj.about_type_id is None:
        return "-"
    label = f"{obj.about_type.name} {obj.about_id}"
    try:
        url = reverse(f"admin:{obj.about_type.app_label}_{obj.about_type.model}_change", args=[obj.about_id])
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


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

    def get_queryset(self, request):
        # A shop person's station messages are theirs alone (NTF-06): nobody else lists them here.
        return super().get_queryset(request).exclude(Q(recipient__role__in=sorted(SHOP_ROLES))
                                                      & ~Q(recipient_id=request.user.pk))

    @admin.display(description=_("about"))
    def about_link(self, obj):
        return about_link(obj)


class UnreadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("1", _("unread")), ("0", _("read"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(read_at__isnull=self.value() == "1")
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = _("message kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, label) for kind, label in INBOX_KINDS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(InboxMessage)
class InboxAdmin(BackOfficeAdmin):
    """站内信: the signed-in shop person's own station messages, unread first (SPEC §10). Opening a message
    marks it read; the action marks the chosen ones, the button all of them (NTF-06: only the recipient)."""

    view_roles = SHOP_ROLES
    list_display = ("unread_mark", "created_at", "title", "body", "about_link")
    list_display_links = ("title",)
    list_filter = (UnreadFilter, KindFilter)
    ordering = (F("read_at").desc(nulls_first=True), "-created_at", "-id")
    fields = ("created_at", "kind_label", "title", "body", "about_link", "order", "read_at")
    readonly_fields = fields
    actions = ("mark_read",)

    @admin.display(description=_("message kind"))
    def kind_label(self, obj):
        return INBOX_KINDS.get(obj.kind, obj.title)  # the label, never the code (SEC-06)
    change_list_template = "admin/notifications/inboxmessage/change_list.html"

    def get_queryset(self, request):
        return inbox_of(request.user).select_related("about_type", "order")

    def get_urls(self):
        return [path("read-all/", self.admin_site.admin_view(self.read_all_view),
                     name="notifications_inboxmessage_read_all"), *super().get_urls()]

    def read_all_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        count = inbox_mark_read(user=request.user)
        self.message_user(request, ngettext("%(count)d message marked read.", "%(count)d messages marked read.",
                                            count) % {"count": count}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:notifications_inboxmessage_changelist"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            inbox_of(request.user).filter(pk=int(object_id), read_at__isnull=True).update(read_at=now())
        return response

    @admin.action(description=_("Mark the selected messages read"))
    def mark_read(self, request, queryset):
        count = queryset.filter(read_at__isnull=True, recipient_id=request.user.pk,
                                channel=Channel.STATION).update(read_at=now())
        self.message_user(request, ngettext("%(count)d message marked read.", "%(count)d messages marked read.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.display(description=_("unread"), boolean=True)
    def unread_mark(self, obj):
        return obj.read_at is None

    @admin.display(description=_("about"))
    def about_link(self, obj):
        return about_link(obj)


class NotificationInline(GenericTabularInline, BackOfficeInline):
    """The messages about the page's object, oldest first."""

    model = Notification
    ct_field = "about_type"
    ct_fk_field = "about_id"
    fields = ("created_at", "channel", "recipient", "title", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")
