"""docs/STYLE.md "Dependencies between apps": core ← accounts ← orders ← {payouts, aftersales, logistics}; logistics
may import aftersales (it works on tickets), never the other way; INT-06 reaches logistics through core.hooks."""

import ast
import pathlib

from django.conf import settings

ROOT = pathlib.Path(settings.BASE_DIR)


def imported_apps(app: str) -> set[str]:
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_aftersales_never_imports_logistics_and_orders_imports_no_feature_app():
    assert "logistics" not in imported_apps("aftersales")
    assert not imported_apps("orders") & {"logistics", "aftersales", "payouts"}


def test_int_06_logistics_listens_to_ticket_created_through_the_hook_registry():
    from core import hooks
    from logistics.services import interception_auto_on_ticket_created

    assert interception_auto_on_ticket_created in hooks.listeners("ticket_created")
