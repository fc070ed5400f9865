"""Startup check (runs with `manage.py check`, `runserver`, `check --deploy`): every shop switched to a
real rail has all it needs, and the credentials open with PAYMENT_RAIL_KEYS."""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError


@register("payouts")
def payment_rails_check(app_configs=None, **kwargs):
    from . import crypto
    from .models import ShopRail

    problems = []
    try:
        configs = [c for c in ShopRail.objects.filter(enabled=True).select_related("shop") if c.rails_used()]
    except DatabaseError:  # not migrated yet
        return []
    if configs and not crypto.keys_configured():
        return [Error("Shops use a real payment rail but PAYMENT_RAIL_KEYS is not set (or invalid).",
                      hint="Set PAYMENT_RAIL_KEYS to the Fernet key(s) the credentials were sealed with.",
                      id="payouts.E101")]
    for config in configs:
        missing = config.missing()
        if missing:
            problems.append(Error(f"Shop {config.shop} ({config.get_rail_display()}): missing {', '.join(missing)}.",
                                  hint="Complete the rail in the admin (付款通道) or switch the shop back to the sandbox.",
                                  id="payouts.E102"))
            continue
        try:
            credentials = config.credentials()
        except crypto.SealError:
            problems.append(Error(f"Shop {config.shop}: its rail credentials do not open with PAYMENT_RAIL_KEYS.",
                                  hint="Put the key they were sealed with back into PAYMENT_RAIL_KEYS.",
                                  id="payouts.E103"))
            continue
        from .router import rail_adapter

        for rail in sorted(config.rails_used()):
            try:
                rail_adapter(config, rail, credentials)
            except Exception as exc:  # a key that does not load
                problems.append(Error(f"Shop {config.shop}: the {rail} credentials do not load ({exc}).",
                                      id="payouts.E104"))
        if config.notify_base_url and not config.notify_base_url.startswith("https://") and kwargs.get("deploy"):
            problems.append(Warning(f"Shop {config.shop}: the callback base URL is not HTTPS.", id="payouts.W101"))
    return problems
