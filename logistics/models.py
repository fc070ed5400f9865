from django.db import models
from django.utils.translation import gettext_lazy as _

from core.tenancy import ALL

from .couriers import COURIER_CHOICES


class Outlet(models.Model):
    """A courier outlet (快递网点). Its users review contracts and report return results (SPEC §7)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    courier = models.CharField(_("courier"), max_length=16, choices=COURIER_CHOICES)
    name = models.CharField(_("name"), max_length=128)
    e_waybill = models.BooleanField(_("Douyin e-waybill"), default=False)

    tenant_shop_path = ALL  # shops choose among all outlets (INT-03)
    tenant_outlet_path = "pk"

    class Meta:
        verbose_name = _("courier outlet")
        verbose_name_plural = _("courier outlets")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
