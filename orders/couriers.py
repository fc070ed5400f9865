"""The courier registry and its tracking-number check (parcels, reship shipments, interceptions). Adding a
courier is one entry here (and, for a real interception API, its adapter class in logistics.adapters)."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SANDBOX_ADAPTER = "logistics.adapters.SandboxCourier"


@dataclass(frozen=True)
class Courier:
    code: str
    name: str
    tracking_pattern: re.Pattern[str]
    # INT-04: YTO contracts are effective at once; J&T and couriers added later need outlet review.
    contract_needs_review: bool = True
    # Dotted path of the class that speaks to the courier's interception API (logistics.adapters).
    adapter: str = SANDBOX_ADAPTER


COURIERS: dict[str, Courier] = {
    "yto": Courier("yto", _("YTO Express (圆通)"), re.compile(r"^YT\d{13}$"), contract_needs_review=False),
    "jt": Courier("jt", _("J&T Express (极兔)"), re.compile(r"^JT\d{13}$")),
}

COURIER_CHOICES = [(c.code, c.name) for c in COURIERS.values()]


def tracking_no_valid(courier: str, tracking_no: str) -> bool:
    entry = COURIERS.get(courier)
    return bool(entry and entry.tracking_pattern.fullmatch(tracking_no))
