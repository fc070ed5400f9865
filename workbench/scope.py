"""Whose figures and which days a report shows: shop people see their shop, platform staff pick one
(`shop=<key>`); dates are Asia/Shanghai `YYYY-MM-DD`, `from` and `to` inclusive (API.md "Reports")."""

import datetime as dt
import re

from accounts.models import Role, Shop
from core.clock import shanghai_date
from core.errors import ApplicationError, CommonError

from .errors import WorkbenchError

MAX_DAYS = 366


def report_shop(user, shop_key: str | None) -> Shop | None:
    """The shop whose figures `user` reads; None for platform staff who picked none."""
    if user.is_shop_member:
        return user.shop
    if user.is_platform_staff:
        if not shop_key:
            return None
        shop = Shop.objects.filter(key=shop_key).first()
        if shop is None:
            raise ApplicationError(CommonError.NOT_FOUND)
        return shop
    raise ApplicationError(CommonError.PERMISSION_DENIED)


def quota_usage_allowed(user) -> bool:
    """RPT-02: the main account and customer-service admins (and platform staff), not sub-accounts."""
    return user.is_platform_staff or user.role in (Role.MAIN, Role.CS_ADMIN)


def parse_day(value: str | None, default: dt.date, name: str = "date") -> dt.date:
    """`YYYY-MM-DD` exactly (the schema's `format: date`), else 400 `invalid` naming the parameter."""
    if not value:
        return default
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(CommonError.INVALID, extra={"fields": {name: ["YYYY-MM-DD"]}}) from None


def date_range(params, *, days: int = 30) -> tuple[dt.date, dt.date]:
    """`from`/`to` of the query, by default the last `days` days to today."""
    today = shanghai_date()
    date_to = parse_day(params.get("to"), today, "to")
    date_from = parse_day(params.get("from"), date_to - dt.timedelta(days=days - 1), "from")
    if date_from > date_to or (date_to - date_from).days >= MAX_DAYS:
        raise ApplicationError(WorkbenchError.INVALID_RANGE)
    return date_from, date_to
