"""Tenancy: who may see which rows. One function decides, for the admin and the API alike.

A model says how its rows belong to someone with class attributes holding ORM paths:
- `tenant_shop_path`: the path to the owning shop ("shop", "order__shop"); shop members see their shop's rows.
- `tenant_outlet_path`: the path to a courier outlet; outlet users see their outlet's rows.
- `tenant_buyer_path`: the path to the buyer; buyers see their own rows (API only).
A path of `ALL` means every row is visible to that kind of user (a catalog such as outlets).
A model with none of them is global configuration (profiles, calendar, categories): readable by
everyone who may reach it, writable only where its admin says. Platform staff see every row.
Rows out of scope answer as if they did not exist (404). `tests/core/test_tenancy.py` checks that every
model of the project declares one of these or is listed as global, so a new model cannot forget.
"""

from django.db import models

TENANT_PATH_ATTRS = ("tenant_shop_path", "tenant_outlet_path", "tenant_buyer_path")
ALL = "*"


def tenant_paths(model: type[models.Model]) -> dict[str, str]:
    # simple_history's historical models inherit the scope of the model they record.
    source = getattr(model, "instance_type", model)
    return {attr: getattr(source, attr) for attr in TENANT_PATH_ATTRS if getattr(source, attr, None)}


def is_global(model: type[models.Model]) -> bool:
    return not tenant_paths(model)


def scope_queryset(qs: models.QuerySet, user) -> models.QuerySet:
    """The rows of `qs` that `user` may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.is_platform_staff:
        return qs
    paths = tenant_paths(qs.model)
    if not paths:
        return qs
    if user.shop_id is not None:
        return _filter(qs, paths.get("tenant_shop_path"), user.shop_id)
    if user.outlet_id is not None:
        return _filter(qs, paths.get("tenant_outlet_path"), user.outlet_id)
    if user.is_buyer:
        return _filter(qs, paths.get("tenant_buyer_path"), user.pk)
    return qs.none()


def _filter(qs: models.QuerySet, path: str | None, value: int) -> models.QuerySet:
    if path is None:
        return qs.none()
    if path == ALL:
        return qs
    return qs.filter(**{path: value})
