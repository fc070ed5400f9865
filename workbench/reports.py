"""The reports of SPEC §11 (RPT-01..RPT-05): each one grouped query (no query per row), for one shop.

Figures count what PAY-L05 counts (counted payouts), by the Asia/Shanghai day of creation (`Payout.day`);
interceptions and reship requests by the Asia/Shanghai day they were requested. `date_from` and `date_to`
are inclusive.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import PayoutQuota
from aftersales.models import ReshipPenalty, Ticket, TicketEvent, TicketEventType, TicketType
from core.clock import SHANGHAI
from core.money import ZERO, money
from logistics.models import Interception, InterceptionStatus, Settlement
from payouts.models import Payout, PayoutType

MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)
SUCCEEDED = (InterceptionStatus.SUCCEEDED, InterceptionStatus.RETURNED, InterceptionStatus.RETURN_FAILED)


def _money(value) -> Decimal:
    return money(value or ZERO)


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[the first day's Shanghai midnight, the day after the last one's) as aware datetimes."""
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    return start, end


def _sum(field: str, **filters) -> Coalesce:
    return Coalesce(Sum(field, filter=Q(**filters) if filters else None), Value(ZERO), output_field=MONEY_FIELD)


def payouts_daily(*, shop_id: int, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """RPT-01: one row per day of the range, oldest first, zeros included: count, amount, amount by type."""
    rows = {
        row["day"]: row for row in
        Payout.objects.filter(shop_id=shop_id, counted=True, day__gte=date_from, day__lte=date_to)
        .values("day").order_by("day")
        .annotate(count=Count("id"), total=_sum("amount"),
                  **{f"by_{t}": _sum("amount", type=t) for t in PayoutType.values})
    }
    days = []
    day = date_from
    while day <= date_to:
        row = rows.get(day, {})
        days.append({"date": day, "count": row.get("count", 0), "amount": _money(row.get("total")),
                     "by_type": {t: _money(row.get(f"by_{t}")) for t in PayoutType.values}})
        day += dt.timedelta(days=1)
    return days


def quota_usage(*, shop_id: int, date: dt.date) -> list[dict]:
    """RPT-02: per sub-account with a quota, its limits and what its counted payouts of `date` used; the
    remaining daily amount (None: unlimited)."""
    used = (Payout.objects.filter(quota_user=OuterRef("user_id"), counted=True, day=date).order_by()
            .values("quota_user").annotate(used=Sum("amount"), count=Count("id")))
    rows = (PayoutQuota.objects.filter(shop_id=shop_id).select_related("user").order_by("user__username")
            .annotate(used=Coalesce(Subquery(used.values("used")), Value(ZERO), output_field=MONEY_FIELD),
                      count=Coalesce(Subquery(used.values("count")), Value(0))))
    return [{"username": q.user.username, "per_payout": q.per_payout, "daily": q.daily, "enabled": q.enabled,
             "used": _money(q.used), "count": q.count,
             "remaining": None if q.daily is None else max(_money(q.daily - q.used), ZERO)} for q in rows]


def payouts_by_product(*, shop_id: int, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """RPT-03: counted payouts with a related product, by product: count and amount, largest amount first."""
    rows = (Payout.objects.filter(shop_id=shop_id, counted=True, day__gte=date_from, day__lte=date_to)
            .exclude(product_id="").values("product_id").annotate(count=Count("id"), amount=_sum("amount"))
            .order_by("-amount", "product_id"))
    return [{"product_id": r["product_id"], "count": r["count"], "amount": _money(r["amount"])} for r in rows]


def interceptions_by_outlet(*, shop_id: int, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """RPT-04: interceptions requested in the range, by outlet, courier and settlement: requested, succeeded
    and failed counts and the amount due (offline: agreed prices of the succeeded; online: platform fees
    charged, on success)."""
    start, end = _bounds(date_from, date_to)
    ok = Q(status__in=SUCCEEDED)
    rows = (Interception.objects.filter(shop_id=shop_id, created_at__gte=start, created_at__lt=end)
            .values("outlet__code", "outlet__name", "courier", "settlement")
            .annotate(requested=Count("id"), succeeded=Count("id", filter=ok),
                      failed=Count("id", filter=Q(status=InterceptionStatus.FAILED)),
                      offline_due=_sum("agreed_price", status__in=SUCCEEDED),
                      online_due=_sum("platform_fee", status__in=SUCCEEDED))
            .order_by("outlet__code", "courier", "settlement"))
    return [{"outlet": r["outlet__code"] or "", "outlet_name": r["outlet__name"] or "", "courier": r["courier"],
             "settlement": r["settlement"], "requested": r["requested"], "succeeded": r["succeeded"],
             "failed": r["failed"],
             "amount_due": _money(r["offline_due"] if r["settlement"] == Settlement.OFFLINE else r["online_due"])}
            for r in rows]


def reship_sla(*, shop_id: int, date_from: dt.date, date_to: dt.date) -> dict:
    """RPT-05: reship requests filed in the range: how many, approved automatically (RS-03), shipped in time,
    shipped late or not at all (a missed shipment deadline, RS-05), and the money charged to the shop for
    lateness (the cash coupons of its penalties)."""
    start, end = _bounds(date_from, date_to)
    auto = TicketEvent.objects.filter(ticket=OuterRef("pk"), type=TicketEventType.AUTO_APPROVED)
    penalty = ReshipPenalty.objects.filter(ticket=OuterRef("pk"))
    # One row per ticket and penalty (LEFT JOIN): counts are of distinct tickets, the charge sums penalties.
    figures = (Ticket.objects.filter(shop_id=shop_id, type=TicketType.RESHIP, created_at__gte=start, created_at__lt=end)
               .annotate(auto=Exists(auto), penalised=Exists(penalty))
               .aggregate(requested=Count("id", distinct=True),
                          auto_approved=Count("id", filter=Q(auto=True), distinct=True),
                          shipped_in_time=Count("id", filter=Q(shipped_at__isnull=False, penalised=False), distinct=True),
                          late=Count("id", filter=Q(penalised=True), distinct=True),
                          charged=_sum("penalties__coupon_amount")))
    figures["charged"] = _money(figures["charged"])
    return figures
