from axes.models import AccessAttempt
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core import labels
from core.admin import BackOfficeAdmin, BackOfficeHistoryAdmin, BackOfficeInline
from core.errors import ApplicationError

from .models import ApiToken, CalendarDay, LedgerEntry, PayoutQuota, PlatformProfile, Role, Shop, ShopAccount, User
from .roles import EVERYONE, PLATFORM, SHOP_AND_PLATFORM
from .services import api_token_create, api_token_revoke, quota_check, quota_set

MAIN = frozenset({Role.MAIN})
MAIN_CS_PLATFORM = frozenset({Role.MAIN, Role.CS_ADMIN, Role.PLATFORM})


@admin.register(PlatformProfile)
class PlatformProfileAdmin(BackOfficeHistoryAdmin):
    """Platform staff edit the rule numbers; every change is kept (django-simple-history). Platform
    configuration: shops and outlets, who cannot change it, do not see it (their pages state the rules)."""

    view_roles = PLATFORM
    change_roles = PLATFORM
    list_display = ("name", "code", "platform", "payouts_per_order", "order_cap", "min_amount", "shop_daily_cap")
    readonly_fields = ("code", "platform")
    fieldsets = (
        (None, {"fields": ("code", "platform", "name")}),
        (_("Small payouts"), {"fields": (
            "payouts_per_order", "order_cap", "order_cap_promo", "min_amount", "payout_interval_seconds",
            "shop_daily_cap", "shop_daily_balance_cap", "order_age_months", "order_age_from_group_formed",
            "scan_only_from_months", "pending_auto_submit_seconds", "failure_releases_hold", "account_card_enabled",
            "card_expiry_hours", "scan_to_pay_enabled", "top_up_window_seconds", "close_after_days",
            "return_working_day", "allowed_source_apps")}),
        (_("Re-opened after-sales entry"), {"fields": (
            "aftersales_period_days", "entry_open_days", "entry_max_order_age_days", "applications_per_order")}),
        (_("Reship"), {"fields": (
            "reship_apply_days_after_receipt", "reship_answer_hours", "reship_ship_hours",
            "reship_intervention_hours", "reship_late_coupon")}),
        (_("Parcel interception"), {"fields": (
            "interception_fee", "claim_opens_after_hours", "claim_closes_after_hours", "claim_max_amount")}),
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(BackOfficeHistoryAdmin):
    view_roles = PLATFORM
    add_roles = change_roles = delete_roles = PLATFORM
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"


class ShopAccountInline(BackOfficeInline):
    model = ShopAccount
    fields = ("balance", "frozen", "available", "deposit", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("available"))
    def available(self, obj):
        return obj.available


@admin.register(Shop)
class ShopAdmin(BackOfficeAdmin):
    """Platform staff edit what the platform syncs; the shop's main account edits only its own settings (the
    chat auto-reply of seed 001)."""

    view_roles = SHOP_AND_PLATFORM
    change_roles = PLATFORM | MAIN
    list_display = ("name", "key", "profile", "status", "qualification", "aggregated_account", "withdrawal_frozen")
    list_filter = ("status", "qualification", "profile")
    search_fields = ("name", "key")
    readonly_fields = ("key", "created_at", "profile_name")
    inlines = [ShopAccountInline]
    SHOP_SETTINGS = ("chat_auto_reply",)

    def get_readonly_fields(self, request, obj=None):
        if getattr(request.user, "role", None) == Role.MAIN and not request.user.is_superuser:
            return [f.name for f in Shop._meta.concrete_fields if f.name not in self.SHOP_SETTINGS and f.name != "id"] \
                + ["profile_name"]
        return super().get_readonly_fields(request, obj)

    def get_fields(self, request, obj=None):
        # Rule profiles are platform configuration: a shop reads its profile's name, not a link it cannot open.
        fields = [f for f in super().get_fields(request, obj) if f != "profile_name"]
        if request.user.is_platform_staff or request.user.is_superuser:
            return fields
        return [("profile_name" if f == "profile" else f) for f in fields]

    @admin.display(description=_("platform rule profile"))
    def profile_name(self, obj):
        return str(obj.profile)


@admin.register(User)
class UserAdmin(BackOfficeAdmin):
    view_roles = MAIN_CS_PLATFORM
    list_display = ("username", "role", "shop", "outlet", "is_active", "last_login")
    list_filter = ("role",)
    search_fields = ("username",)
    fields = ("username", "role", "shop", "outlet", "sandbox_wallet", "is_active", "last_login", "date_joined")
    readonly_fields = fields

    def has_add_permission(self, request, *args) -> bool:
        return False  # people arrive through the platform sync (load_scenario), not an empty admin form


@admin.register(PayoutQuota)
class PayoutQuotaAdmin(BackOfficeHistoryAdmin):
    """售后 › 小额打款 › 客服打款配额: the main account sets each sub-account's limits (quota_set)."""

    view_roles = MAIN_CS_PLATFORM
    add_roles = change_roles = MAIN
    list_display = ("user", "shop", "per_payout", "daily", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("user__username",)
    fields = ("user", "per_payout", "daily", "enabled")
    list_select_related = ("user", "shop")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj else ()

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        actor = request.user

        class QuotaForm(base):
            def clean(self):
                data = super().clean()
                user = data.get("user") or (self.instance.user if self.instance.user_id else None)
                if user is not None and not self.errors:
                    try:
                        quota_check(shop=user.shop, user=user, per_payout=data.get("per_payout"),
                                    daily=data.get("daily"), actor=actor)
                    except ApplicationError as exc:
                        raise forms.ValidationError(exc.message) from None
                return data

        return QuotaForm

    def save_model(self, request, obj, form, change):
        saved = quota_set(
            shop=obj.user.shop, user=obj.user, per_payout=obj.per_payout, daily=obj.daily,
            enabled=obj.enabled, actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(ShopAccount)
class ShopAccountAdmin(BackOfficeAdmin):
    view_roles = MAIN_CS_PLATFORM
    list_display = ("shop", "balance", "frozen", "available", "deposit", "updated_at")
    list_select_related = ("shop",)

    @admin.display(description=_("available"))
    def available(self, obj):
        return obj.available


REFERENCE_TYPES = {"payout": _("payout"), "ticket": _("after-sales ticket"), "interception": _("parcel interception"),
                   "claim": _("claim")}
MEMOS = {"interception_fee": _("interception fee"), "reship_late_coupon": _("late reship: the buyer's cash coupon")}


@admin.register(LedgerEntry)
class LedgerEntryAdmin(BackOfficeAdmin):
    view_roles = MAIN_CS_PLATFORM
    list_display = ("created_at", "shop", "kind", "balance_delta", "frozen_delta", "deposit_delta", "balance_after",
                    "deposit_after", "reference", "actor")
    readonly_fields = ("reference", "memo_text")
    exclude = ("ref_type", "ref_id", "memo")

    @admin.display(description=_("reference"))
    def reference(self, obj):
        # The referenced row in words (打款 #12), not its code (payout 12).
        if not obj.ref_type:
            return "-"
        kind = REFERENCE_TYPES.get(obj.ref_type, obj.ref_type)
        return f"{kind} #{obj.ref_id}" if obj.ref_id else str(kind)

    @admin.display(description=_("memo"))
    def memo_text(self, obj):
        return MEMOS.get(obj.memo) or (labels.value_label("cause", obj.memo) if obj.memo else "-")
    list_filter = ("kind",)
    list_select_related = ("shop", "actor")
    search_fields = ("=ref_id",)
    search_help_text = _("Reference (payout, ticket or interception number)")


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name", "channel", "expires_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:  # the view-only page shows it read-only
            self.fields["channel"].required = False  # left out: a chat tool's (the default)


@admin.register(ApiToken)
class ApiTokenAdmin(BackOfficeAdmin):
    """「API 令牌」 (SEC-02): each person makes, names and revokes their own tokens; a main account sees its
    shop's. The key is shown once, in the message after saving; only its first characters are kept."""

    view_roles = add_roles = frozenset({*EVERYONE})
    form = ApiTokenForm
    list_display = ("prefix_shown", "name", "channel", "user", "created_at", "last_used_at", "expires_at", "state")
    list_filter = ("revoked_at", "channel")
    actions = ["revoke"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        user = request.user
        if user.is_superuser or user.is_platform_staff or user.role == Role.MAIN:
            return qs
        return qs.filter(user=user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("token"))
    def prefix_shown(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.revoked_at:
            return _("revoked")
        return _("active") if obj.active else _("expired")

    def save_model(self, request, obj, form, change):
        token, key = api_token_create(user=request.user, name=form.cleaned_data["name"],
                                      channel=form.cleaned_data.get("channel") or ApiToken.Channel.CHAT_TOOL,
                                      expires_at=form.cleaned_data.get("expires_at"))
        obj.pk = token.pk
        obj.prefix = token.prefix
        messages.success(request, _("Your new token is %(key)s — copy it now: it is not shown again.") % {"key": key})

    def log_addition(self, request, obj, message):
        return None  # the admin log would keep the token's repr; the token row is the record

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        done = 0
        for token in queryset:
            try:
                api_token_revoke(token=token, actor=request.user)
                done += 1
            except ApplicationError as exc:
                messages.error(request, exc.text())
        if done:
            messages.success(request, _("%(n)d token(s) revoked.") % {"n": done})


# django-axes names its app "Axes" (no catalog entry): the menu calls it by what it is for.
apps.get_app_config("axes").verbose_name = _("Sign-in security")


@admin.register(AccessAttempt)
class SignInLockoutAdmin(BackOfficeAdmin):
    """Sign-in lockouts (SEC-01): platform staff see the usernames with failed sign-ins and clear a lock by
    deleting its row."""

    view_roles = delete_roles = PLATFORM
    list_display = ("username", "failures_since_start", "attempt_time", "ip_address")
    search_fields = ("username",)
    readonly_fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    fields = readonly_fields
