"""Cross-app reactions, registered where the reacting app lives (docs/STYLE.md "Dependencies between apps").

The acting app fires a named hook (`hooks.fire("ticket_created", ticket=…, actor=…)`) without knowing who
listens; the reacting app registers in its `AppConfig.ready()` with `@hooks.on("ticket_created")`. So an
arrow between two feature apps is visible here, in one place, and the import graph stays one-way.

Hooks run in the caller's transaction, in registration order; an exception propagates (the caller's
write rolls back with it).

Registered hooks (name → who listens):
- `ticket_created` (aftersales.services.ticket_create) → logistics: INT-06 auto-interception.
- `shop_balance_figures` (accounts' `shop/balance/`, with `shop_id`) → payouts: `paid_out_today`; each
  listener returns a dict of figures that the answer adds.
"""

from collections.abc import Callable
from typing import Any

KNOWN = ("ticket_created", "shop_balance_figures")
_HOOKS: dict[str, list[Callable[..., Any]]] = {name: [] for name in KNOWN}


def on(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if name not in _HOOKS:
        raise ValueError(f"unknown hook {name!r}: add it to core.hooks.KNOWN")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if func not in _HOOKS[name]:
            _HOOKS[name].append(func)
        return func

    return register


def fire(name: str, **kwargs: Any) -> list[Any]:
    return [func(**kwargs) for func in _HOOKS[name]]


def listeners(name: str) -> list[Callable[..., Any]]:
    return list(_HOOKS[name])
