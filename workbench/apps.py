from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The merchant's workbench (SPEC §11): the home page, the reports and the clock that warns of reship
    requests about to be approved automatically (NTF-04). It reads payouts, after-sales and logistics and
    writes only station messages."""

    name = "workbench"
    verbose_name = _("Workbench")

    def ready(self) -> None:
        from . import activity, sweeps  # noqa: F401  (registers the clocks and the scenario's activity)
