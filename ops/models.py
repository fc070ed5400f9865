from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.Model):
    """系统状态 (OPS-05) as an admin page: no table; it gives the page its place in the admin's menu and its
    URL (/admin/ops/status/). What it shows lives in core (ClockRun, RailCall) and in the apps it reads."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("system status")
        verbose_name_plural = _("system status")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
