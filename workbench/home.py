"""The admin home as a workbench (RPT-06): for the signed-in role, the to-do counts that need action, each
a link to its filtered list; the shop's money today; and the charts of RPT-01 (last 30 days) and RPT-02
(today). A fixed number of queries whatever the data (one aggregate per kind of work)."""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Shop, ShopAccount
from aftersales.models import DeadlineAction, Ticket, TicketStatus, TicketType
from core.clock import now, shanghai_date
from core.tenancy import scope_queryset
from logistics.models import Claim, ClaimStatus, ContractStatus, Interception, InterceptionContract, InterceptionStatus
from notifications.selectors import inbox_unread_count
from payouts.models import FailureReason, Payout, PayoutRequest, PayoutStatus, RequestStatus
from payouts.selectors import paid_out_today, payouts_hidden, payouts_may_pay

from .views import payouts_daily_table, quota_usage_table


def _link(name: str, **query) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _todo(label, count, url, *, testid, hint="") -> dict:
    return {"label": label, "count": count, "url": url, "testid": testid, "hint": hint}


def _countdown(deadline: dt.datetime | None) -> str:
    if deadline is None:
        return ""
    left = max(deadline - now(), dt.timedelta())
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return str(_("next in %(hours)d h %(minutes)02d min")) % {"hours": hours, "minutes": rest // 60}


def shop_todos(user) -> list[dict]:
    todos = []
    approver = user.role == Role.MAIN or (user.role == Role.CS_ADMIN and user.shop.profile.scan_to_pay_enabled)
    if approver:
        pending = scope_queryset(PayoutRequest.objects.filter(status=RequestStatus.PENDING), user).count()
        todos.append(_todo(_("payout requests to approve"), pending,
                           _link("payouts_payoutrequest", status__exact=RequestStatus.PENDING), testid="todo-requests"))
    payouts = scope_queryset(Payout.objects.all(), user).aggregate(
        pending=Count("id", filter=Q(status=PayoutStatus.PENDING)),
        cards=Count("id", filter=Q(status=PayoutStatus.FAILED, failure_reason=FailureReason.BUYER_ACCOUNT_INVALID)))
    if payouts_hidden(user=user):  # PAY-L08: the payout pages are not this sub-account's
        payouts = None
    todos += [] if payouts is None else [
        _todo(_("pending payouts"), payouts["pending"], _link("payouts_payout", status__exact=PayoutStatus.PENDING),
              testid="todo-pending-payouts"),
        _todo(_("failed payouts with a card to resend"), payouts["cards"],
              _link("payouts_payout", status__exact=PayoutStatus.FAILED,
                    failure_reason__exact=FailureReason.BUYER_ACCOUNT_INVALID), testid="todo-cards"),
    ]
    at = now()
    waiting = Q(type=TicketType.RESHIP, status=TicketStatus.PENDING_MERCHANT, deadline_action=DeadlineAction.AUTO_APPROVE)
    tickets = scope_queryset(Ticket.objects.all(), user).aggregate(
        soon=Count("id", filter=waiting & Q(deadline__lt=at + dt.timedelta(hours=6))),
        today=Count("id", filter=waiting & Q(deadline__gte=at + dt.timedelta(hours=6),
                                             deadline__lt=at + dt.timedelta(hours=24))),
        later=Count("id", filter=waiting & Q(deadline__gte=at + dt.timedelta(hours=24))),
        next_deadline=Min("deadline", filter=waiting),
        intervention=Count("id", filter=Q(status=TicketStatus.IN_INTERVENTION)))
    h6, h24 = (at + dt.timedelta(hours=6)).isoformat(), (at + dt.timedelta(hours=24)).isoformat()
    buckets = [("soon", _("reship requests approved automatically within 6 h"), "todo-reship-6h", {"deadline__lt": h6}),
               ("today", _("reship requests: 6 to 24 h left"), "todo-reship-24h", {"deadline__gte": h6, "deadline__lt": h24}),
               ("later", _("reship requests: more than 24 h left"), "todo-reship-later", {"deadline__gte": h24})]
    first = next((key for key, *_rest in buckets if tickets[key]), None)  # where the next deadline falls
    todos += [_todo(label, tickets[key], _link("aftersales_ticket", type__exact=TicketType.RESHIP,
                                               status__exact=TicketStatus.PENDING_MERCHANT,
                                               deadline_action__exact=DeadlineAction.AUTO_APPROVE, **window),
                    testid=testid, hint=_countdown(tickets["next_deadline"]) if key == first else "")
              for key, label, testid, window in buckets]
    todos += [
        _todo(_("tickets in platform intervention"), tickets["intervention"],
              _link("aftersales_ticket", status__exact=TicketStatus.IN_INTERVENTION), testid="todo-intervention"),
        _todo(_("failed interceptions"),
              scope_queryset(Interception.objects.filter(status=InterceptionStatus.FAILED), user).count(),
              _link("logistics_interception", status__exact=InterceptionStatus.FAILED), testid="todo-interceptions"),
        _todo(_("claims to confirm as paid"),
              scope_queryset(Claim.objects.filter(status=ClaimStatus.APPROVED), user).count(),
              _link("logistics_claim", status__exact=ClaimStatus.APPROVED), testid="todo-claims"),
        _todo(_("unread station messages"), inbox_unread_count(user), _link("notifications_inboxmessage",
                                                                           read_at__isnull="True"), testid="todo-inbox"),
    ]
    return todos


def platform_todos(user) -> list[dict]:
    cases = Ticket.objects.filter(status__in=(TicketStatus.IN_ARBITRATION, TicketStatus.IN_INTERVENTION)).count()
    return [
        _todo(_("arbitration and intervention cases"), cases, _link("aftersales_arbitrationcase"), testid="todo-arbitration"),
        _todo(_("claims to decide"), Claim.objects.filter(status=ClaimStatus.FILED).count(),
              _link("logistics_claim", status__exact=ClaimStatus.FILED), testid="todo-claims-decide"),
        _todo(_("late successes flagged"), Payout.objects.filter(flagged=True).count(),
              _link("payouts_payout", flagged__exact="1"), testid="todo-flagged"),
    ]


def outlet_todos(user) -> list[dict]:
    return [
        _todo(_("contracts to review"),
              scope_queryset(InterceptionContract.objects.filter(status=ContractStatus.PENDING_REVIEW), user).count(),
              _link("logistics_interceptioncontract", status__exact=ContractStatus.PENDING_REVIEW),
              testid="todo-contracts"),
        _todo(_("returns to report"),
              scope_queryset(Interception.objects.filter(status=InterceptionStatus.SUCCEEDED), user).count(),
              _link("logistics_interception", status__exact=InterceptionStatus.SUCCEEDED), testid="todo-returns"),
    ]


def charts(user, shop: Shop) -> dict:
    today = shanghai_date()
    columns, rows, chart = payouts_daily_table(shop.pk, today - dt.timedelta(days=29), today)
    q_columns, q_rows, q_chart = quota_usage_table(shop.pk, today)
    if user.role == Role.SUB:  # RPT-02 is for approvers: a sub-account sees its own row only
        keep = [i for i, name in enumerate(q_chart["categories"]) if name == user.username]
        q_rows = [q_rows[i] for i in keep]
        q_chart = {**q_chart, "categories": [q_chart["categories"][i] for i in keep],
                   "series": [{**s, "data": [s["data"][i] for i in keep]} for s in q_chart["series"]]}
    report = reverse("workbench_report", args=["payouts-daily"])
    return {
        "daily_chart": chart, "daily_csv": f"{report}?format=csv" + (f"&shop={shop.key}" if user.is_platform_staff else ""),
        "daily_columns": columns, "daily_rows": [[r[k] for k, _l in columns] for r in rows],
        "quota_chart": q_chart, "quota_columns": q_columns, "quota_rows": [[r[k] for k, _l in q_columns] for r in q_rows],
    }


def workbench_context(request) -> dict:
    user = request.user
    context: dict = {"role": user.role}
    if user.is_shop_member:
        shop = user.shop
        context["todos"] = shop_todos(user)
        account = ShopAccount.objects.filter(shop=shop).values("balance", "frozen").first() or {"balance": 0, "frozen": 0}
        context["money"] = {"balance": account["balance"], "available": account["balance"] - account["frozen"],
                            "paid_out_today": paid_out_today(shop_id=shop.pk)}
        if payouts_may_pay(user=user):
            context["initiate_url"] = reverse("admin:payouts_payout_initiate")
    elif user.is_platform_staff:
        context["todos"] = platform_todos(user)
        shops = list(Shop.objects.order_by("key").values_list("key", "name"))
        context["shops"] = shops
        key = request.GET.get("shop") or (shops[0][0] if shops else None)
        shop = Shop.objects.filter(key=key).first() if key else None
        context["picked_shop"] = key
    elif user.role == Role.OUTLET:
        context["todos"] = outlet_todos(user)
        shop = None
    else:
        return context
    if shop is not None:
        context["shop"] = shop
        context.update(charts(user, shop))
    context["reports"] = [(slug, title) for slug, (title, _rule, _build) in _reports_for(user)]
    return context


def _reports_for(user):
    from .scope import quota_usage_allowed
    from .views import REPORTS

    if not (user.is_shop_member or user.is_platform_staff):
        return []
    return [(slug, r) for slug, r in REPORTS.items() if slug != "quota-usage" or quota_usage_allowed(user)]
