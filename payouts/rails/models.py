"""Which rail a shop's payouts use, with its merchant credentials (sealed), and the book of what was sent.

`ShopRail.sealed` holds the secrets (private keys, public keys, the WeChat APIv3 key) as one Fernet token
(`crypto`); `secrets_info` keeps, per secret, only a fingerprint and when it was set, so the admin can say
"set" without ever showing a secret back.
"""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Shop
from core.clock import now

from ..models import Payout
from . import crypto


class AlipaySignMode(models.TextChoices):
    CERT = "cert", _("public-key certificates (production)")
    KEY = "key", _("public key (sandbox)")


class Rail(models.TextChoices):
    SANDBOX = "sandbox", _("sandbox rail")
    WECHAT = "wechat", _("WeChat Pay merchant transfer")
    ALIPAY = "alipay", _("Alipay single transfer")


SECRET_FIELDS = ("wechat_private_key", "wechat_platform_public_key", "wechat_apiv3_key",
                 "alipay_app_private_key", "alipay_public_key",
                 "wechat_app_secret")  # the official account's AppSecret: the buyer pages' web authorization (PAY-B03)

# Alipay's verification: the public key (sandbox), or the three certificates of the certificate mode.
ALIPAY_REQUIRED = {
    AlipaySignMode.KEY: ("alipay_public_key",),
    AlipaySignMode.CERT: ("alipay_app_cert", "alipay_public_cert", "alipay_root_cert"),
}

REQUIRED = {
    Rail.WECHAT: ("notify_base_url", "wechat_base_url", "wechat_mch_id", "wechat_appid", "wechat_cert_serial",
                  "wechat_public_key_id", "wechat_transfer_scene_id",
                  "wechat_private_key", "wechat_platform_public_key", "wechat_apiv3_key"),
    Rail.ALIPAY: ("notify_base_url", "alipay_base_url", "alipay_app_id", "alipay_app_private_key"),
    Rail.SANDBOX: (),
}


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.strip().encode()).hexdigest()[:12]


class ShopRail(models.Model):
    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="payment_rail", verbose_name=_("shop"))
    enabled = models.BooleanField(_("in use"), default=True)
    rail = models.CharField(_("payout rail"), max_length=12, choices=Rail.choices, default=Rail.SANDBOX)
    card_rail = models.CharField(_("account-card retry rail"), max_length=12, choices=Rail.choices, blank=True,
                                 help_text=_("The rail a retry to an account the buyer filled in on an account card "
                                             "uses; empty: the payout rail."))
    notify_base_url = models.URLField(_("callback base URL"), blank=True,
                                      help_text=_("This back office's public address the rails call back."))
    wechat_base_url = models.URLField(_("WeChat Pay gateway"), blank=True, default="https://api.mch.weixin.qq.com")
    wechat_mch_id = models.CharField(_("WeChat merchant id"), max_length=32, blank=True)
    wechat_appid = models.CharField(_("WeChat app id"), max_length=32, blank=True)
    wechat_cert_serial = models.CharField(_("merchant certificate serial"), max_length=64, blank=True)
    wechat_public_key_id = models.CharField(_("WeChat Pay public key id"), max_length=64, blank=True)
    wechat_transfer_scene_id = models.CharField(_("transfer scene id"), max_length=8, blank=True, default="1000")
    alipay_base_url = models.URLField(_("Alipay gateway"), blank=True, default="https://openapi.alipay.com/gateway.do")
    alipay_app_id = models.CharField(_("Alipay app id"), max_length=32, blank=True)
    alipay_sign_mode = models.CharField(
        _("Alipay signing"), max_length=8, choices=AlipaySignMode.choices, default=AlipaySignMode.CERT,
        help_text=_("Fund transfers need the certificate mode; the public-key mode is for the sandbox."))
    alipay_app_cert = models.TextField(_("app public-key certificate (appCertPublicKey_….crt)"), blank=True)
    alipay_public_cert = models.TextField(_("Alipay public-key certificate (alipayCertPublicKey_RSA2.crt)"), blank=True)
    alipay_root_cert = models.TextField(_("Alipay root certificate (alipayRootCert.crt)"), blank=True)
    sealed = models.TextField(_("sealed credentials"), blank=True, editable=False)
    secrets_info = models.JSONField(_("credentials set"), default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("payment rail")
        verbose_name_plural = _("payment rails")

    def __str__(self) -> str:
        return f"{self.shop} · {self.get_rail_display()}"

    # ---- secrets

    def credentials(self) -> dict[str, str]:
        """The opened secrets (crypto.SealError when the keys do not open them)."""
        return crypto.unseal(self.sealed)

    def set_secrets(self, values: dict[str, str]) -> list[str]:
        """Replace the given secrets (empty values keep the stored one); returns the names replaced."""
        given = {k: v.strip() for k, v in values.items() if k in SECRET_FIELDS and v and v.strip()}
        if not given:
            return []
        current = self.credentials()
        current.update(given)
        self.sealed = crypto.seal(current)
        info = dict(self.secrets_info or {})
        for name, value in given.items():
            info[name] = {"fingerprint": fingerprint(value), "at": now().isoformat(timespec="seconds")}
        self.secrets_info = info
        return sorted(given)

    def clear_secrets(self, names) -> None:
        current = self.credentials()
        info = dict(self.secrets_info or {})
        for name in names:
            current.pop(name, None)
            info.pop(name, None)
        self.sealed = crypto.seal(current) if current else ""
        self.secrets_info = info

    # ---- completeness

    def rails_used(self) -> set[str]:
        return {self.rail, self.card_rail or self.rail} - {Rail.SANDBOX}

    def missing(self) -> list[str]:
        """The settings a configured rail still needs (the admin form and the startup check)."""
        missing = []
        for rail in sorted(self.rails_used()):
            names = REQUIRED[rail] + (ALIPAY_REQUIRED.get(self.alipay_sign_mode, ()) if rail == Rail.ALIPAY else ())
            for name in names:
                if name in SECRET_FIELDS:
                    if name not in (self.secrets_info or {}):
                        missing.append(name)
                elif not getattr(self, name):
                    missing.append(name)
        return list(dict.fromkeys(missing))

    def notify_url(self, rail: str) -> str:
        return f"{self.notify_base_url.rstrip('/')}/api/v1/rails/{rail}/{self.shop_id}/notify/"


class RailBill(models.Model):
    """What the product sent to a real rail under a business key, and the rail's last word on it.

    It routes a query to the rail that got the transfer (a shop's payout rail or its card rail) and keeps a
    failure the rail answered synchronously (it makes no bill the query could find)."""

    ref = models.CharField(_("business key"), max_length=64, unique=True)
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="+", verbose_name=_("payout"))
    rail = models.CharField(_("rail"), max_length=12, choices=Rail.choices)
    bill_no = models.CharField(_("merchant bill number"), max_length=64)
    # Alipay's product code of the transfer (its query must name the same one).
    product_code = models.CharField(_("product code"), max_length=32, blank=True)
    rail_bill_id = models.CharField(_("rail bill number"), max_length=64, blank=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    state = models.CharField(_("rail state"), max_length=24, blank=True)
    error_code = models.CharField(_("rail error code"), max_length=64, blank=True)
    # WeChat WAIT_USER_CONFIRM: the package the buyer's confirm step needs (the create answer carries it).
    package_info = models.TextField(_("confirmation package"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    tenant_shop_path = "payout__shop"

    class Meta:
        verbose_name = _("rail transfer")
        verbose_name_plural = _("rail transfers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.ref


class BuyerWechatIdentity(models.Model):
    """A buyer's WeChat openid under one merchant app (PAY-B03): WeChat 商家转账 pays an openid of the app the
    transfer names (`appid`), learned by the buyer page's web authorization (snsapi_base). One per app and
    buyer; a new authorization replaces the openid."""

    app_id = models.CharField(_("WeChat app id"), max_length=32)
    buyer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer"))
    openid = models.CharField(_("openid"), max_length=128)
    # The payee's real name, when the buyer gave it: WeChat requires it (encrypted) from 2,000.00 (PAY-S12).
    real_name = models.CharField(_("real name"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    tenant_buyer_path = "buyer"

    class Meta:
        verbose_name = _("buyer WeChat identity")
        verbose_name_plural = _("buyer WeChat identities")
        constraints = [models.UniqueConstraint(fields=["app_id", "buyer"], name="buyer_wechat_identity_once")]

    def __str__(self) -> str:
        return f"{self.app_id} · {self.buyer_id}"


def buyer_openid(*, app_id: str, buyer_id: int) -> str:
    """The buyer's openid under the merchant app `app_id`, or "" when the buyer has not authorized yet."""
    return (BuyerWechatIdentity.objects.filter(app_id=app_id, buyer_id=buyer_id)
            .values_list("openid", flat=True).first() or "")


def buyer_wechat_identity(*, app_id: str, buyer_id: int) -> tuple[str, str]:
    """(openid, real name) of the buyer under `app_id` in one read; ("", "") before the buyer authorized."""
    row = BuyerWechatIdentity.objects.filter(app_id=app_id, buyer_id=buyer_id).values_list("openid", "real_name").first()
    return row or ("", "")


def buyer_real_name(*, app_id: str, buyer_id: int) -> str:
    return (BuyerWechatIdentity.objects.filter(app_id=app_id, buyer_id=buyer_id)
            .values_list("real_name", flat=True).first() or "")


def buyer_openid_set(*, app_id: str, buyer_id: int, openid: str, real_name: str = "") -> BuyerWechatIdentity:
    """Keep (or replace) the buyer's openid under `app_id` (the buyer page's snsapi_base callback)."""
    at = now()
    defaults = {"openid": openid, "updated_at": at, **({"real_name": real_name.strip()} if real_name.strip() else {})}
    identity, _ = BuyerWechatIdentity.objects.update_or_create(
        app_id=app_id, buyer_id=buyer_id, defaults=defaults, create_defaults={**defaults, "created_at": at})
    return identity


class ShopRailChange(models.Model):
    """Who set or changed a shop's rail, and what (`rail_config_set`, in the same transaction): each setting
    from → to, and for a secret only that it was set and its fingerprint — never the secret itself."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    config = models.ForeignKey(ShopRail, on_delete=models.SET_NULL, null=True, related_name="changes",
                               verbose_name=_("payment rail"))
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("changed by"))
    at = models.DateTimeField(_("changed at"))
    created = models.BooleanField(_("first set"), default=False)
    # [{"field": name, "from": old, "to": new}] for settings; [{"field": name, "fingerprint": fp}] for secrets.
    changes = models.JSONField(_("settings changed"), default=list, blank=True)
    secrets = models.JSONField(_("credentials replaced"), default=list, blank=True)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("payment rail change")
        verbose_name_plural = _("payment rail changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["shop", "at"], name="rail_change_shop_at")]

    def __str__(self) -> str:
        return f"{self.shop} · {self.at:%Y-%m-%d %H:%M}"


class RailReconciliation(models.Model):
    """One day's comparison (对账) of the product's submission book — and the rails' answers for bills still
    open — with the payouts (issue 19.9): kept per day, the last run's figures and problems."""

    day = models.DateField(_("day (Asia/Shanghai)"), unique=True)
    ran_at = models.DateTimeField(_("ran at"))
    bills = models.PositiveIntegerField(_("bills compared"), default=0)
    asked = models.PositiveIntegerField(_("open bills asked"), default=0)
    paid = models.PositiveIntegerField(_("bills paid"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    report = models.TextField(_("report"), blank=True)

    class Meta:
        verbose_name = _("rail reconciliation")
        verbose_name_plural = _("rail reconciliations")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {len(self.problems)}"
