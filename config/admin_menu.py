"""The admin's left menu and home list by task (issue 11): the after-sales jobs first, then orders, messages,
the shop's money and people, and the platform's configuration last, in one group of its own.

Django lists apps alphabetically, each with its own models; this regroups them without renaming a page or
changing a URL (an app's own page, /admin/<app>/, still lists that app)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# (app label, model) → the group it is listed under, when not its own app's.
MOVED = {
    ("accounts", "PayoutQuota"): "payouts",
    ("accounts", "PlatformProfile"): "platform",
    ("accounts", "CalendarDay"): "platform",
    ("orders", "Category"): "platform",
    ("axes", "AccessAttempt"): "platform",
    ("rails", "ShopRail"): "platform",
    ("rails", "RailBill"): "platform",
    ("auth", "Group"): "platform",
    ("ops", "Status"): "platform",  # 系统状态 (OPS-05)
}
ORDER = ["aftersales", "payouts", "logistics", "orders", "notifications", "workbench", "accounts", "platform"]

_stock_get_app_list = admin.site.get_app_list


def get_app_list(request, app_label=None):
    apps = _stock_get_app_list(request, app_label)
    if app_label is not None:
        return apps
    groups = {app["app_label"]: app for app in apps}
    platform = {"name": _("Platform configuration"), "app_label": "platform", "app_url": "", "has_module_perms": True,
                "models": []}
    for app in apps:
        kept = []
        for model in app["models"]:
            target = MOVED.get((app["app_label"], model["object_name"]))
            if target == "platform":
                platform["models"].append(model)
            elif target is not None and target in groups:
                groups[target]["models"].append(model)
            else:
                kept.append(model)
        app["models"] = kept
    if platform["models"]:
        groups["platform"] = platform
    ranked = sorted((app for app in groups.values() if app["models"]),
                    key=lambda app: (ORDER.index(app["app_label"]) if app["app_label"] in ORDER else len(ORDER)))
    return ranked


admin.site.get_app_list = get_app_list
