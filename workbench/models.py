from django.db import models
from django.utils.translation import gettext_lazy as _


class ScenarioActivity(models.Model):
    """An `activity` item of a scenario file already applied (API.md "Scenario loader"): a later load skips
    its key; `object_id` is what it made (a ticket, a payout request…), for items that name it by key."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    do = models.CharField(_("action"), max_length=32)
    object_id = models.BigIntegerField(_("object"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"))

    class Meta:
        verbose_name = _("scenario activity")
        verbose_name_plural = _("scenario activity")

    def __str__(self) -> str:
        return self.key
