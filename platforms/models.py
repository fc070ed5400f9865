"""A shop's connection to its platform's open API (CON-01..03): sealed tokens, state, sync checkpoint and health."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Platform, Shop
from core.models import DomainEvent

from . import crypto


class PlatformConnection(models.Model):
    class State(models.TextChoices):
        CONNECTED = "connected", _("connected")
        NEEDS_REAUTH = "needs_reauth", _("needs re-authorization")
        DISCONNECTED = "disconnected", _("disconnected")

    # Reconnecting a connected shop (new tokens) is connected → connected.
    TRANSITIONS = {
        State.CONNECTED: frozenset({State.CONNECTED, State.NEEDS_REAUTH, State.DISCONNECTED}),
        State.NEEDS_REAUTH: frozenset({State.CONNECTED, State.DISCONNECTED}),
        State.DISCONNECTED: frozenset({State.CONNECTED}),
    }

    shop = models.OneToOneField(Shop, on_delete=models.PROTECT, related_name="platform_connection",
                                verbose_name=_("shop"))
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    status = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.CONNECTED)
    platform_shop_id = models.CharField(_("platform shop ID"), max_length=64, blank=True)
    platform_shop_name = models.CharField(_("platform shop name"), max_length=128, blank=True)
    # The access and refresh tokens, one Fernet token (crypto.seal): never shown, never logged.
    sealed = models.TextField(_("sealed tokens"), blank=True, editable=False)
    access_expires_at = models.DateTimeField(_("access token expires at"), null=True, blank=True)
    refresh_expires_at = models.DateTimeField(_("refresh token expires at"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    # Incremental sync (CON-03): orders updated before the checkpoint are stored whole.
    checkpoint = models.DateTimeField(_("synced up to"), null=True, blank=True)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    lag_seconds = models.PositiveIntegerField(_("sync lag (seconds)"), null=True, blank=True)
    orders_synced = models.PositiveBigIntegerField(_("orders synced"), default=0)
    # CON-06: the last failure in the platform's own words (cleared by the next success).
    last_error_code = models.CharField(_("last error code"), max_length=64, blank=True)
    last_error_message = models.CharField(_("last error message"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    retry_after = models.DateTimeField(_("next attempt not before"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("consecutive failures"), default=0)
    # One sync at a time per shop: a run holds the lease; a killed run's lease runs out and the next resumes.
    lease_until = models.DateTimeField(_("sync running until"), null=True, blank=True, editable=False)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("shop authorization")
        verbose_name_plural = _("shop authorizations")
        ordering = ["shop_id"]

    def __str__(self) -> str:
        return f"{self.shop} · {self.get_platform_display()}"

    def tokens(self) -> dict[str, str]:
        return crypto.unseal(self.sealed)


class ConnectionEventType(models.TextChoices):
    CONNECTED = "connected", _("connected")
    RECONNECTED = "reconnected", _("re-authorized")
    TOKENS_REFRESHED = "tokens_refreshed", _("access token refreshed")
    REAUTH_NEEDED = "reauth_needed", _("refresh refused: re-authorization needed")
    DISCONNECTED = "disconnected", _("disconnected")


class ConnectionEvent(DomainEvent):
    connection = models.ForeignKey(PlatformConnection, on_delete=models.CASCADE, related_name="events",
                                   verbose_name=_("shop authorization"))

    tenant_shop_path = "connection__shop"

    class Meta:
        verbose_name = _("authorization event")
        verbose_name_plural = _("authorization events")
        ordering = ["at", "id"]
