"""付款通道 (payment rails) in the admin: platform staff choose a shop's rail and set its credentials.

A secret is write-only: the form never shows it back (empty = keep the stored one; a new value replaces it,
which is how credentials are rotated); the page shows only whether each is set, its fingerprint and when.
"""

from cryptography.hazmat.primitives import serialization
from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import PLATFORM_STAFF, BackOfficeAdmin

from ..models import PayoutSubmission
from . import alipay_certs
from .models import SECRET_FIELDS, Rail, RailBill, RailReconciliation, ShopRail, ShopRailChange
from .services import SETTINGS, rail_config_set

SECRET_LABELS = {
    "wechat_private_key": _("merchant API private key (apiclient_key.pem)"),
    "wechat_platform_public_key": _("WeChat Pay public key (pub_key.pem)"),
    "wechat_apiv3_key": _("APIv3 key"),
    "alipay_app_private_key": _("Alipay app private key"),
    "alipay_public_key": _("Alipay public key (public-key mode)"),
    "wechat_app_secret": _("official account AppSecret (the buyer's WeChat authorization)"),
}
KEEP = _("Never shown again once saved. Leave empty to keep the stored value; enter a new one to replace it.")


def _secret_field(name: str) -> forms.Field:
    widget = (forms.PasswordInput(render_value=False) if name in ("wechat_apiv3_key", "wechat_app_secret")
              else forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}))
    return forms.CharField(label=SECRET_LABELS[name], required=False, widget=widget, help_text=KEEP, strip=True)


def _pem(text: str, kind: str) -> bytes:
    return (text if "-----BEGIN" in text else f"-----BEGIN {kind}-----\n{text}\n-----END {kind}-----").encode()


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ShopRailForm(forms.ModelForm):
    wechat_private_key = _secret_field("wechat_private_key")
    wechat_platform_public_key = _secret_field("wechat_platform_public_key")
    wechat_apiv3_key = _secret_field("wechat_apiv3_key")
    alipay_app_private_key = _secret_field("alipay_app_private_key")
    alipay_public_key = _secret_field("alipay_public_key")
    wechat_app_secret = _secret_field("wechat_app_secret")

    class Meta:
        model = ShopRail
        formfield_callback = staticmethod(_formfield)
        fields = ["shop", "enabled", "rail", "card_rail", "notify_base_url", "wechat_base_url", "wechat_mch_id",
                  "wechat_appid", "wechat_cert_serial", "wechat_public_key_id", "wechat_transfer_scene_id",
                  "alipay_base_url", "alipay_app_id", "alipay_sign_mode", "alipay_app_cert", "alipay_public_cert",
                  "alipay_root_cert"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alipay_sign_mode"].required = False  # absent: the row keeps its mode

    def clean(self):
        data = super().clean()
        if not data.get("alipay_sign_mode"):
            data["alipay_sign_mode"] = self.instance.alipay_sign_mode
        for name in ("wechat_private_key", "alipay_app_private_key"):
            value = data.get(name)
            if value:
                try:
                    serialization.load_pem_private_key(_pem(value, "PRIVATE KEY"), password=None)
                except (ValueError, TypeError):
                    self.add_error(name, _("Not an RSA private key in PEM form."))
        for name in ("wechat_platform_public_key", "alipay_public_key"):
            value = data.get(name)
            if value:
                try:
                    serialization.load_pem_public_key(_pem(value, "PUBLIC KEY"))
                except (ValueError, TypeError):
                    self.add_error(name, _("Not a public key in PEM form."))
        for name, read in (("alipay_app_cert", alipay_certs.cert_sn), ("alipay_public_cert", alipay_certs.cert_sn),
                           ("alipay_root_cert", alipay_certs.root_cert_sn)):
            if data.get(name):
                try:
                    read(data[name])
                except alipay_certs.CertificateError:
                    self.add_error(name, _("Not a certificate in PEM form (the .crt file Alipay gave)."))
        if data.get("wechat_apiv3_key") and len(data["wechat_apiv3_key"].encode()) != 32:
            self.add_error("wechat_apiv3_key", _("The APIv3 key is 32 characters."))
        if self.errors:
            return data
        instance = self.instance
        for name in ("rail", "card_rail", "enabled", *self.Meta.fields[4:]):
            if name in data:
                setattr(instance, name, data[name])
        info = dict(instance.secrets_info or {})
        for name in SECRET_FIELDS:
            if data.get(name):
                info.setdefault(name, {"fingerprint": "new", "at": ""})
        probe = ShopRail(**{f.attname: getattr(instance, f.attname) for f in ShopRail._meta.concrete_fields})
        probe.secrets_info = info
        missing = probe.missing() if probe.enabled else []
        if missing:
            raise forms.ValidationError(_("This rail still needs: %(names)s.") % {
                "names": ", ".join(str(SECRET_LABELS.get(n) or ShopRail._meta.get_field(n).verbose_name)
                                   for n in missing)})
        return data


@admin.register(ShopRail)
class ShopRailAdmin(BackOfficeAdmin):
    form = ShopRailForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    view_roles = add_roles = change_roles = PLATFORM_STAFF
    list_display = ["shop", "rail", "card_rail", "enabled", "updated_at"]
    list_filter = ["rail", "enabled"]
    readonly_fields = ["credentials_status", "alipay_cert_serials", "updated_at"]
    fieldsets = [
        (None, {"fields": ["shop", "enabled", "rail", "card_rail", "notify_base_url"]}),
        (_("WeChat Pay merchant transfer"), {"fields": ["wechat_base_url", "wechat_mch_id", "wechat_appid",
                                                        "wechat_cert_serial", "wechat_public_key_id",
                                                        "wechat_transfer_scene_id", "wechat_private_key",
                                                        "wechat_platform_public_key", "wechat_apiv3_key",
                                                        "wechat_app_secret"]}),
        (_("Alipay single transfer"), {"fields": ["alipay_base_url", "alipay_app_id", "alipay_app_private_key",
                                                  "alipay_sign_mode", "alipay_app_cert", "alipay_public_cert",
                                                  "alipay_root_cert", "alipay_cert_serials", "alipay_public_key"]}),
        (_("Credentials"), {"fields": ["credentials_status", "updated_at"]}),
    ]

    @admin.display(description=_("credentials set"))
    def credentials_status(self, obj):
        info = (obj.secrets_info or {}) if obj else {}
        rows = [(SECRET_LABELS[name], _("set · fingerprint %(fp)s · %(at)s") % {"fp": info[name]["fingerprint"],
                                                                               "at": info[name]["at"]}
                 if name in info else _("not set")) for name in SECRET_FIELDS]
        return format_html_join("", "<div>{}: {}</div>", rows)

    @admin.display(description=_("certificate serials"))
    def alipay_cert_serials(self, obj):
        """app_cert_sn and alipay_root_cert_sn as the requests carry them (certificate mode)."""
        rows = []
        for label, name, read in ((_("app_cert_sn"), "alipay_app_cert", alipay_certs.cert_sn),
                                  (_("alipay_root_cert_sn"), "alipay_root_cert", alipay_certs.root_cert_sn),
                                  (_("Alipay certificate"), "alipay_public_cert", alipay_certs.cert_sn)):
            try:
                rows.append((label, read(getattr(obj, name)) if obj and getattr(obj, name) else _("not set")))
            except alipay_certs.CertificateError:
                rows.append((label, _("not a certificate")))
        return format_html_join("", "<div>{}: <code>{}</code></div>", rows)

    object_history_template = "admin/rails/shoprail/object_history.html"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "shop"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through `rail_config_set`: the change and who made it are recorded in the same transaction."""
        data = form.cleaned_data
        saved = rail_config_set(shop=obj.shop if change else data["shop"], actor=request.user,
                                values={name: data[name] for name in SETTINGS if name in data},
                                secrets={name: data.get(name, "") for name in SECRET_FIELDS})
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def history_view(self, request, object_id, extra_context=None):
        """The admin's log, and above it every recorded change of the rail: who, when, each setting from → to,
        each credential replaced (its fingerprint only)."""
        rows = [{"at": change.at, "actor": change.actor or _("system"), "created": change.created,
                 "items": _change_items(change)}
                for change in ShopRailChange.objects.filter(config_id=object_id).select_related("actor")]
        return super().history_view(request, object_id, extra_context={**(extra_context or {}), "rail_changes": rows})


def _value(name: str, value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if name in ("rail", "card_rail"):
        return str(Rail(value).label) if value in Rail.values else str(_("same as the payout rail"))
    return str(value) if value not in (None, "") else "-"


def _change_items(change: ShopRailChange) -> list[str]:
    items = [_("%(field)s: %(old)s → %(new)s") % {
        "field": ShopRail._meta.get_field(c["field"]).verbose_name, "old": _value(c["field"], c["from"]),
        "new": _value(c["field"], c["to"])} for c in change.changes]
    for c in change.secrets:
        label = SECRET_LABELS.get(c["field"], c["field"])
        items.append(_("%(field)s: removed") % {"field": label} if c.get("cleared") else
                     _("%(field)s: replaced (fingerprint %(fp)s)") % {"field": label, "fp": c["fingerprint"]})
    return items


@admin.register(RailBill)
class RailBillAdmin(BackOfficeAdmin):
    view_roles = PLATFORM_STAFF
    list_display = ["ref", "rail", "bill_no", "rail_bill_id", "amount_fen", "state", "error_code", "updated_at"]
    list_filter = ["rail", "state"]
    search_fields = ["ref", "bill_no", "rail_bill_id"]


@admin.register(PayoutSubmission)
class PayoutSubmissionAdmin(BackOfficeAdmin):
    """The product's own book of every key it sent (PAY-S09): platform staff read it beside the rail's."""

    view_roles = PLATFORM_STAFF
    list_display = ["ref", "rail", "amount", "state", "error_code", "sends", "queries", "created_at", "settled_at"]
    list_filter = ["rail", "state"]
    search_fields = ["ref"]
    exclude = ["transfer"]  # the payee / card account stays out of the page (PAY-C04)


@admin.register(RailReconciliation)
class RailReconciliationAdmin(BackOfficeAdmin):
    """对账: one row per day, the last run's figures, problems and printed report (issue 19.9)."""

    view_roles = PLATFORM_STAFF
    list_display = ["day", "ran_at", "bills", "asked", "paid", "problem_count"]

    @admin.display(description=_("problems"))
    def problem_count(self, obj) -> int:
        return len(obj.problems)
