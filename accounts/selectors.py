"""Reads of shops, people and the shop ledger."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from core.money import ZERO

from .models import CalendarDay, LedgerEntry, ShopAccount


@dataclass(frozen=True)
class LedgerDrift:
    shop_id: int
    shop_name: str
    column: str
    cached: Decimal
    summed: Decimal


def ledger_drifts() -> list[LedgerDrift]:
    """Every cached balance that differs from the sum of its ledger entries (SPEC §2).

    One grouped query over the ledger, one over the accounts: no query per shop.
    """
    sums = {
        row["shop_id"]: row
        for row in LedgerEntry.objects.values("shop_id").annotate(
            balance=Coalesce(Sum("balance_delta"), ZERO),
            frozen=Coalesce(Sum("frozen_delta"), ZERO),
            deposit=Coalesce(Sum("deposit_delta"), ZERO),
        )
    }
    drifts = []
    for account in ShopAccount.objects.select_related("shop").order_by("shop_id"):
        row = sums.get(account.shop_id, {})
        for column in ("balance", "frozen", "deposit"):
            summed = row.get(column, ZERO)
            cached = getattr(account, column)
            if summed != cached:
                drifts.append(LedgerDrift(account.shop_id, account.shop.name, column, cached, summed))
    # An entry for a shop that has no account row is drift too.
    for shop_id in sums.keys() - set(ShopAccount.objects.values_list("shop_id", flat=True)):
        drifts.append(LedgerDrift(shop_id, f"#{shop_id}", "account", ZERO, sums[shop_id]["balance"]))
    return drifts


def working_day_add(*, start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (Monday–Friday, minus holidays, plus make-up days)."""
    horizon = start + dt.timedelta(days=days * 3 + 30)
    exceptions = dict(CalendarDay.objects.filter(date__gt=start, date__lte=horizon).values_list("date", "kind"))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        kind = exceptions.get(day)
        is_working = kind == CalendarDay.Kind.WORKDAY or (kind is None and day.weekday() < 5)
        counted += is_working
    return day


def shop_balance_get(*, shop_id: int) -> dict:
    account = ShopAccount.objects.select_related("shop").get(shop_id=shop_id)
    return {
        "shop": account.shop.key,
        "balance": account.balance,
        "frozen": account.frozen,
        "available": account.available,
        "deposit": account.deposit,
    }
