"""店铺授权 (CON-01, CON-06): each shop's connection — state, token expiry, last sync, sync lag, last error in
the platform's own words — with connect / reconnect, disconnect and sync-now. Tokens are never shown."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Shop
from core.admin import PLATFORM_STAFF, BackOfficeAdmin
from core.errors import ApplicationError
from core.labels import timeline
from core.tenancy import scope_queryset

from .adapters import PlatformError
from .models import PlatformConnection
from .selectors import lag_seconds
from .services import connection_disconnect, connection_sync
from .views import may_connect


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s min") % {"n": seconds // 60}
    return _("%(n)s h") % {"n": seconds // 3600}


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(BackOfficeAdmin):
    view_roles = frozenset({Role.MAIN}) | PLATFORM_STAFF
    change_roles = frozenset()
    list_display = ("shop", "platform", "status", "access_expires_at", "last_sync_at", "lag", "last_error",
                    "connect_link")
    list_filter = ()  # a few rows: the whole width for the figures
    list_select_related = ("shop",)
    actions = ["sync_now", "disconnect"]
    readonly_fields = ("shop", "platform", "status", "platform_shop_id", "platform_shop_name", "access_expires_at",
                       "refresh_expires_at", "connected_at", "checkpoint", "last_sync_at", "lag_seconds",
                       "orders_synced", "last_error_code", "last_error_message", "last_error_at", "retry_after",
                       "history")
    exclude = ("sealed", "lease_until")
    change_list_template = "admin/platforms/platformconnection/change_list.html"

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (request.user.is_superuser or request.user.role in (Role.MAIN, Role.PLATFORM)):
            return {}
        return actions

    @admin.display(description=_("sync lag"))
    def lag(self, obj):
        return _duration(lag_seconds(obj) if obj.status == PlatformConnection.State.CONNECTED else None)

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        if not obj.last_error_code:
            return "—"
        return format_html("<code>{}</code> {}", obj.last_error_code, obj.last_error_message)

    @admin.display(description=_("authorization"))
    def connect_link(self, obj):
        url = reverse("platforms:authorize", args=[obj.platform]) + f"?shop={obj.shop.key}"
        label = _("Reconnect") if obj.status != PlatformConnection.State.DISCONNECTED else _("Connect")
        return format_html('<a class="button" href="{}">{}</a>', url, label)

    @admin.display(description=_("history"))
    def history(self, obj):
        rows = timeline(obj.events.select_related("actor").order_by("at", "id"), "platformconnection")
        return format_html_join("", "<div>{} · {} · {} {}</div>", (
            (timezone.localtime(r["at"]).strftime("%Y-%m-%d %H:%M"), r["label"], r["actor"],
             "; ".join(f"{k}: {v}" for k, v in r["details"]))
            for r in rows)) or "—"

    @admin.action(description=_("Sync orders now"))
    def sync_now(self, request, queryset):
        for conn in queryset.select_related("shop"):
            try:
                result = connection_sync(connection_id=conn.pk)
            except PlatformError as exc:
                messages.error(request, f"{conn.shop}: {exc.code} {exc.message}")
            except ApplicationError as exc:
                messages.error(request, f"{conn.shop}: {exc.text()}")
            else:
                messages.success(request, _("%(shop)s: %(created)s orders created, %(updated)s updated.") % {
                    "shop": conn.shop, "created": result.created, "updated": result.updated})

    @admin.action(description=_("Disconnect"))
    def disconnect(self, request, queryset):
        for conn in queryset.select_related("shop"):
            if not may_connect(request.user, conn.shop):
                continue
            try:
                connection_disconnect(connection_id=conn.pk, actor=request.user)
            except ApplicationError as exc:
                messages.error(request, f"{conn.shop}: {exc.text()}")
            else:
                messages.success(request, _("%(shop)s: disconnected.") % {"shop": conn.shop})

    def changelist_view(self, request, extra_context=None):
        connected = set(PlatformConnection.objects.values_list("shop_id", flat=True))
        shops = [
            {"shop": s, "url": reverse("platforms:authorize", args=[s.profile.platform]) + f"?shop={s.key}"}
            for s in scope_queryset(Shop.objects.select_related("profile"), request.user).exclude(pk__in=connected)
            if may_connect(request.user, s)
        ]
        return super().changelist_view(request, {"unconnected": shops, **(extra_context or {})})
