"""Who may open which admin page: the role groups every app's ModelAdmin names (`view_roles`, …)."""

from core.admin import NOBODY

from .models import SHOP_ROLES, Role

EVERYONE = frozenset({*SHOP_ROLES, Role.PLATFORM, Role.OUTLET})
SHOP_AND_PLATFORM = frozenset({*SHOP_ROLES, Role.PLATFORM})
PLATFORM = frozenset({Role.PLATFORM})

__all__ = ["EVERYONE", "NOBODY", "PLATFORM", "SHOP_AND_PLATFORM"]
