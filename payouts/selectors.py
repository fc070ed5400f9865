"""Reads of small payouts: the rule checks shared by the panel, creation and approval, and the lists."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import PayoutQuota, Platform, PlatformProfile, Role, Shop, ShopAccount, User
from core.clock import add_calendar_months, now, shanghai_date
from core.errors import ApplicationError
from core.money import ZERO, money
from orders.models import Order

from .errors import PayoutError
from .models import PayMethod, Payout, PayoutRequest

PAYABLE_STATUSES = {
    Order.Status.STOCKING,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.SHIPPED,
    Order.Status.COMPLETED,
    Order.Status.CLOSED,
}


@dataclass
class Sums:
    """What the limits read, summed under the caller's locks (SPEC §4.2: counted payouts only)."""

    order_count: int = 0
    order_total: Decimal = ZERO
    order_last_created: dt.datetime | None = None
    shop_today: Decimal = ZERO
    shop_balance_today: Decimal = ZERO
    quota_today: Decimal = ZERO
    payout_id: int | None = None  # reserved for the payout about to be created (payout_sums(reserve_payout_id))


_SUMS_SQL = """
    WITH o AS (
        SELECT count(*) FILTER (WHERE counted) AS n,
               coalesce(sum(amount) FILTER (WHERE counted), 0) AS total,
               max(created_at) AS last
        FROM payouts_payout WHERE order_id = %(order)s),
    s AS (
        SELECT coalesce(sum(amount), 0) AS total,
               coalesce(sum(amount) FILTER (WHERE pay_method = 'balance'), 0) AS balance,
               coalesce(sum(amount) FILTER (WHERE pay_method = 'balance' AND quota_user_id = %(quota_user)s), 0)
                   AS quota
        FROM payouts_payout WHERE shop_id = %(shop)s AND day = %(day)s AND counted)
    SELECT o.n, o.total, o.last, s.total, s.balance, s.quota,
           EXISTS (SELECT 1 FROM orders_orderitem WHERE order_id = %(order)s AND promo) AS has_promo
    FROM o, s
"""


class _OrderLockStatement:
    """The statement of `order_lock_for_payout`, written once per process from the models' columns (the ORM
    compiled a five-table `select_related` with `FOR UPDATE OF` on every payout: about 0.8 ms of CPU), and
    how to turn its row back into model instances (each field's database converters applied, as the ORM
    does)."""

    MODELS = (("order", Order), ("shop", Shop), ("profile", PlatformProfile), ("account", ShopAccount),
              ("buyer", User))

    def __init__(self):
        self.slices, self.converters, columns = {}, [], []
        for name, model in self.MODELS:
            table = model._meta.db_table
            fields = model._meta.concrete_fields
            self.slices[name] = (len(columns), len(columns) + len(fields))
            for model_field in fields:
                col = model_field.get_col(table)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if converters:
                    self.converters.append((len(columns), converters, col))
                columns.append(f'"{table}"."{model_field.column}"')
        self.sql = (
            f"SELECT {', '.join(columns)} FROM orders_order"
            " JOIN accounts_shop ON accounts_shop.id = orders_order.shop_id"
            " JOIN accounts_platformprofile ON accounts_platformprofile.id = accounts_shop.profile_id"
            " JOIN accounts_shopaccount ON accounts_shopaccount.shop_id = accounts_shop.id"
            " JOIN accounts_user ON accounts_user.id = orders_order.buyer_id"
            " WHERE {where} FOR UPDATE OF orders_order, accounts_shopaccount"
        )

    def instances(self, row) -> Order:
        row = list(row)
        for index, converters, col in self.converters:
            for convert in converters:
                row[index] = convert(row[index], col, connection)
        made = {name: model.from_db(connection.alias, None, row[a:b])
                for (name, model), (a, b) in zip(self.MODELS, self.slices.values(), strict=True)}
        order, shop, account = made["order"], made["shop"], made["account"]
        shop._state.fields_cache.update(profile=made["profile"], account=account)
        account._state.fields_cache["shop"] = shop
        order._state.fields_cache.update(shop=shop, buyer=made["buyer"])
        return order


_order_lock_statement: _OrderLockStatement | None = None


def order_lock_for_payout(*, order_id: int | None = None, shop_id: int | None = None,
                          order_no: str = "") -> Order | None:
    """Lock an order and then its shop account in one statement (`FOR UPDATE OF` both, in the lock order of
    accounts.services: PostgreSQL takes a row's marks in the order the clause names them) and read with them
    what creating a payout reads: the shop, its profile, `order.shop.account` and the buyer (the rail's payee).
    By id, or by the shop's order number; None when there is no such order (or the shop has no account).

    A hand-written statement (issue 21 item 4): the rules that read these rows stay in payouts.services."""
    global _order_lock_statement
    if connection.vendor != "postgresql":  # the embedded SQLite demo: no row locks to name, the ORM's query
        qs = (Order.objects.select_for_update().select_related("shop__profile", "shop__account", "buyer")
              .filter(shop__account__isnull=False))
        qs = qs.filter(pk=order_id) if order_id is not None else qs.filter(shop_id=shop_id, order_no=order_no)
        return qs.first()
    if _order_lock_statement is None:
        _order_lock_statement = _OrderLockStatement()
    statement = _order_lock_statement
    if order_id is not None:
        where, params = "orders_order.id = %s", [order_id]
    else:
        where, params = "orders_order.shop_id = %s AND orders_order.order_no = %s", [shop_id, order_no]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql.replace("{where}", where), params)
        row = cursor.fetchone()
    return None if row is None else statement.instances(row)


def payout_sums(*, order: Order, quota_user: User | None, day: dt.date, reserve_payout_id: bool = False) -> Sums:
    """Everything the limits read, in one statement on the (order, created_at) and partial (shop, day)
    indexes: the order's counted payouts and its last payout of any kind, the shop's counted payouts of the
    Asia/Shanghai day (all, by balance, by this sub-account's quota), and whether the order has promotional
    goods (PAY-L02). One statement instead of three ORM aggregates: this runs under the shop account's
    lock on every payout, so its cost bounds a busy shop's throughput. Plain SQL that PostgreSQL and
    SQLite (the embedded demo) both read; values are normalised below.

    `reserve_payout_id` (creation, PostgreSQL): the same statement draws the new payout's id from its
    sequence, so the payout's INSERT can go out with the other writes under the lock (core.writebatch); a
    refused payout leaves a gap in the ids, as a rolled-back INSERT does."""
    params = {"order": order.pk, "quota_user": quota_user.pk if quota_user else None, "shop": order.shop_id,
              "day": day}
    reserve = reserve_payout_id and connection.vendor == "postgresql"
    sql = _SUMS_SQL.replace("    FROM o, s", ", nextval(pg_get_serial_sequence('payouts_payout', 'id'))\n    FROM o, s") \
        if reserve else _SUMS_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        n, total, last, shop_total, shop_balance, quota_total, has_promo, *reserved = cursor.fetchone()
    order.has_promo = bool(has_promo)
    return Sums(int(n), _money(total), _moment(last), _money(shop_total), _money(shop_balance), _money(quota_total),
                reserved[0] if reserved else None)


def _money(value) -> Decimal:
    return money(Decimal(str(value)))


def _moment(value) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite returns text, in UTC
        value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
    return value


def order_cap(*, order: Order, profile: PlatformProfile) -> Decimal:
    """PAY-L02: Pinduoduo has a second cap for orders with promotional goods (活动商品).

    Uses `has_promo` where payout_sums already read it, to save a query."""
    has_promo = getattr(order, "has_promo", None)
    if has_promo is None:
        has_promo = order.items.filter(promo=True).exists()
    if has_promo:
        return profile.order_cap_promo
    return profile.order_cap


def eligibility_problems(*, order: Order, shop: Shop, profile: PlatformProfile) -> list[ApplicationError]:
    """PAY-E01..E09, in the order of SPEC §4.2."""
    problems = []
    if profile.allowed_source_apps and order.source_app not in profile.allowed_source_apps:
        problems.append(ApplicationError(PayoutError.ORDER_SOURCE_NOT_SUPPORTED))
    if order.payment != Order.Payment.ONLINE:
        problems.append(ApplicationError(PayoutError.ORDER_NOT_PAID_ONLINE))
    # PAY-E03: Douyin counts 12 calendar months from the order, Pinduoduo one year from group formation.
    start = order.group_formed_at if profile.order_age_from_group_formed else order.created_at
    if start is not None and now() >= add_calendar_months(start, profile.order_age_months):
        problems.append(ApplicationError(PayoutError.ORDER_TOO_OLD, {"months": profile.order_age_months}))
    status_ok = order.status in PAYABLE_STATUSES and (order.status != Order.Status.CLOSED or order.deposit_presale)
    if profile.order_age_from_group_formed and order.group_formed_at is None:
        status_ok = False  # Pinduoduo: the group must have formed
    if not status_ok:
        problems.append(ApplicationError(PayoutError.ORDER_STATUS_NOT_ALLOWED))
    if not shop.aggregated_account:
        problems.append(ApplicationError(PayoutError.AGGREGATED_ACCOUNT_NOT_OPENED))
    if order.local_life:
        problems.append(ApplicationError(PayoutError.LOCAL_LIFE_NOT_SUPPORTED))
    if order.cross_border:
        problems.append(ApplicationError(PayoutError.CROSS_BORDER_NOT_SUPPORTED))
    if shop.status != Shop.Status.NORMAL:
        problems.append(ApplicationError(PayoutError.SHOP_NOT_OPERATING))
    if shop.withdrawal_frozen:
        problems.append(ApplicationError(PayoutError.SHOP_WITHDRAWAL_FROZEN))
    if shop.qualification == Shop.Qualification.INDIVIDUAL:
        problems.append(ApplicationError(PayoutError.INDIVIDUAL_SHOP_NOT_SUPPORTED))
    return problems


@dataclass
class Check:
    """Every rule's verdict on one payout (SPEC §4.2). `problems` in reporting order; `q04` are the reasons
    the shop balance cannot be used (Pinduoduo), which send the operator to scan-to-pay or a request."""

    problems: list[ApplicationError] = field(default_factory=list)
    q04: list[str] = field(default_factory=list)
    quota_user: User | None = None

    def first_error(self) -> ApplicationError | None:
        if self.problems:
            return self.problems[0]
        if self.q04:
            return ApplicationError(PayoutError.BALANCE_PAYMENT_NOT_ALLOWED, extra={"reasons": self.q04})
        return None


def operator_quota(*, actor: User) -> PayoutQuota | None:
    """The sub-account's enabled quota; main accounts and customer-service admins need none."""
    if actor.role != Role.SUB:
        return None
    return PayoutQuota.objects.filter(user=actor, enabled=True).first()


def payout_check(
    *,
    order: Order,
    profile: PlatformProfile,
    actor: User,
    amount: Decimal | None,
    pay_method: str,
    sums: Sums,
    account: ShopAccount,
    quota: PayoutQuota | None,
    for_request: bool = False,
) -> Check:
    """Check one payout against every rule, in the reporting order of SPEC §4.2:
    E01–E09, L11, L10, L08, L03, L01, L02, L04, L05, L06, L07, L09, then Q04 (Pinduoduo).

    Pure: the caller holds the locks and has summed under them. `for_request` is an approval (PAY-A02):
    every order and shop rule, but not the requester's quota. `amount` None checks the order alone (panel).
    """
    shop = order.shop
    check = Check()
    problems = check.problems
    problems += eligibility_problems(order=order, shop=shop, profile=profile)
    pinduoduo = profile.platform == Platform.PINDUODUO
    # Over-quota on a platform with scan-to-pay is not a refusal: the balance cannot be used (PAY-Q04).
    quota_offers_scan = profile.scan_to_pay_enabled
    by_balance = pay_method == PayMethod.BALANCE
    if pinduoduo and shop.unpaid_bill:
        problems.append(ApplicationError(PayoutError.SHOP_HAS_UNPAID_BILL))
    if amount is not None and (amount < profile.min_amount or money(amount) != amount):
        problems.append(ApplicationError(PayoutError.INVALID_AMOUNT, {"minimum": profile.min_amount}))
    needs_quota = actor.role == Role.SUB and not for_request and by_balance
    if needs_quota:
        check.quota_user = actor
        if quota is None:
            if quota_offers_scan:
                check.q04.append("no_quota")
            else:
                problems.append(ApplicationError(PayoutError.NO_PAYOUT_PERMISSION))
    last = sums.order_last_created
    if last is not None and (now() - last).total_seconds() < profile.payout_interval_seconds:
        problems.append(ApplicationError(PayoutError.ORDER_PAYOUT_TOO_FREQUENT))
    if sums.order_count >= profile.payouts_per_order:
        problems.append(ApplicationError(PayoutError.ORDER_PAYOUT_COUNT_REACHED, {"limit": profile.payouts_per_order}))
    if amount is None:
        return check
    cap = order_cap(order=order, profile=profile)
    if sums.order_total + amount > cap:
        problems.append(ApplicationError(PayoutError.ORDER_PAYOUT_CAP_EXCEEDED, {"cap": cap}))
    if sums.order_total + amount > order.paid_amount:
        problems.append(ApplicationError(PayoutError.ORDER_PAID_AMOUNT_EXCEEDED))
    if sums.shop_today + amount > profile.shop_daily_cap:
        problems.append(ApplicationError(PayoutError.SHOP_DAILY_CAP_EXCEEDED, {"cap": profile.shop_daily_cap}))
    if needs_quota and quota is not None:
        if quota.per_payout is not None and amount > quota.per_payout:
            if quota_offers_scan:
                check.q04.append("quota_per_payout")
            else:
                problems.append(ApplicationError(PayoutError.QUOTA_PER_PAYOUT_EXCEEDED))
        if quota.daily is not None and sums.quota_today + amount > quota.daily:
            if quota_offers_scan:
                check.q04.append("quota_daily")
            else:
                problems.append(ApplicationError(PayoutError.QUOTA_DAILY_EXCEEDED))
    if by_balance and account.available < amount:
        problems.append(ApplicationError(PayoutError.INSUFFICIENT_BALANCE))
    if by_balance and quota_offers_scan:
        check.q04[:0] = balance_blocked_reasons(order=order, profile=profile, sums=sums, amount=amount)
    if not by_balance:
        check.q04 = []
    return check


def balance_blocked_reasons(*, order: Order, profile: PlatformProfile, sums: Sums, amount: Decimal | None) -> list[str]:
    """PAY-Q04 (a), (d), (e): the shop's and the order's reasons; (b), (c) are the operator's quota."""
    shop = order.shop
    reasons = []
    if shop.zero_fee_entry and not shop.deposit_paid:
        reasons.append("zero_fee_entry")
    cap = profile.shop_daily_balance_cap
    if amount is not None and cap is not None and sums.shop_balance_today + amount > cap:
        reasons.append("shop_balance_cap")
    if scan_only(order=order, profile=profile):
        reasons.append("scan_only_age")
    return reasons


def scan_only(*, order: Order, profile: PlatformProfile) -> bool:
    """PAY-Q03: orders whose group formed 3–12 months ago can only be paid by scan-to-pay."""
    if profile.scan_only_from_months is None or order.group_formed_at is None:
        return False
    return now() >= add_calendar_months(order.group_formed_at, profile.scan_only_from_months)


def payout_panel(*, order: Order, actor: User, amount: Decimal | None = None) -> dict:
    """What the operator sees before paying (PAY-F04, F05): eligibility with every failing rule, earlier
    payouts and platform shipping-fee refunds (a warning, not a block), and the headroom left."""
    profile = order.shop.profile
    account = ShopAccount.objects.get(shop_id=order.shop_id)
    quota = operator_quota(actor=actor)
    sums = payout_sums(order=order, quota_user=actor if actor.role == Role.SUB else None, day=shanghai_date())
    check = payout_check(order=order, profile=profile, actor=actor, amount=amount, pay_method=PayMethod.BALANCE,
                         sums=sums, account=account, quota=quota)
    previous = list(order.payouts.select_related("applicant").order_by("-created_at", "-id"))
    cap = order_cap(order=order, profile=profile)
    is_sub = actor.role == Role.SUB
    q04: list[str] = []
    if profile.scan_to_pay_enabled:
        q04 = balance_blocked_reasons(order=order, profile=profile, sums=sums, amount=amount)
        q04 += [r for r in check.q04 if r not in q04]
    return {
        "order": order,
        "eligible": not check.problems,
        "problems": check.problems,
        "ineligible": [p.code for p in check.problems],
        "previous_payouts": previous,
        "processing_warning": any(p.status == "processing" for p in previous),
        "platform_shipping_refunds": list(order.platform_shipping_refunds.order_by("at")),
        "remaining": {
            "order_count": max(profile.payouts_per_order - sums.order_count, 0),
            "order_amount": max(min(cap, order.paid_amount) - sums.order_total, ZERO),
            "shop_daily": max(profile.shop_daily_cap - sums.shop_today, ZERO),
            "my_per_payout": (quota.per_payout if quota else ZERO) if is_sub else None,
            "my_daily": (max(quota.daily - sums.quota_today, ZERO) if quota and quota.daily is not None
                         else (None if quota else ZERO)) if is_sub else None,
        },
        "available_balance": account.available,
        "balance_usable": not q04,
        "balance_blocked_reasons": q04,
        "scan_to_pay": profile.scan_to_pay_enabled,
        # What the verdicts were computed from, for callers that check more on the same figures (chat tools).
        "inputs": {"sums": sums, "account": account, "quota": quota},
    }


def payout_list(*, qs: QuerySet, filters: dict) -> QuerySet:
    """PAY-R01: by order number, product ID, applicant, status and creation (= debit) time."""
    if filters.get("order_no"):
        qs = qs.filter(order__order_no=filters["order_no"])
    if filters.get("product_id"):
        qs = qs.filter(product_id=filters["product_id"])
    if filters.get("applicant"):
        qs = qs.filter(applicant__username=filters["applicant"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("created_from"):
        qs = qs.filter(created_at__gte=filters["created_from"])
    if filters.get("created_to"):
        qs = qs.filter(created_at__lte=filters["created_to"])
    return qs


def payout_requests_visible(*, qs: QuerySet, user: User) -> QuerySet:
    """PAY-A03: a requester sees their own requests; the main account and customer-service admins all."""
    if user.role == Role.SUB:
        return qs.filter(requester=user)
    return qs


def paid_out_today(*, shop_id: int) -> Decimal:
    """Counted payouts created today (Asia/Shanghai): `shop/balance/` `paid_out_today`."""
    return Payout.objects.filter(shop_id=shop_id, day=shanghai_date(), counted=True).aggregate(
        t=Coalesce(Sum("amount"), ZERO)
    )["t"]


# ---------------------------------------------------------------------------------------------- channels
# What the admin pages and the API show, read from the rules here; the services enforce them on every write.


def payout_problems(*, order: Order, actor: User, amount: Decimal | None, pay_method: str) -> list[ApplicationError]:
    """Every rule that refuses this payout, for the pay method chosen (payout_check): a scan payout holds
    nothing, so neither the balance (PAY-L09) nor the operator's quota applies to it (PAY-Q01)."""
    sums = payout_sums(order=order, quota_user=actor if actor.role == Role.SUB else None, day=shanghai_date())
    return payout_check(order=order, profile=order.shop.profile, actor=actor, amount=amount, pay_method=pay_method,
                        sums=sums, account=ShopAccount.objects.get(shop_id=order.shop_id),
                        quota=operator_quota(actor=actor)).problems


def payouts_hidden(*, user: User) -> bool:
    """PAY-L08: a sub-account without an enabled quota, on a platform without scan-to-pay (Douyin), may not pay
    at all, so the 小额打款 pages are hidden from it. Cached on the user object for the request."""
    if getattr(user, "role", None) != Role.SUB or user.shop_id is None:
        return False
    hidden = getattr(user, "_payouts_hidden", None)
    if hidden is None:
        hidden = not user.shop.profile.scan_to_pay_enabled and not PayoutQuota.objects.filter(
            user=user, enabled=True).exists()
        user._payouts_hidden = hidden
    return hidden


def payouts_may_pay(*, user: User) -> bool:
    """Pay, continue, resend a card, send a request: the shop's people (SPEC §1), minus PAY-L08."""
    return bool(user.is_active and user.is_shop_member and not payouts_hidden(user=user))


def payout_request_decision_refusal(*, actor: User, request: PayoutRequest) -> ApplicationError | None:
    """PAY-A02: the main account decides, on Pinduoduo also customer-service admins, never the requester.
    None where the actor may approve or reject; otherwise the refusal the services raise."""
    from core.errors import CommonError

    if not actor.is_shop_member or actor.shop_id != request.shop_id:
        return ApplicationError(CommonError.NOT_FOUND)
    if actor.role not in (Role.MAIN, Role.CS_ADMIN):
        return ApplicationError(PayoutError.REQUEST_APPROVER_ONLY)
    if actor.role == Role.CS_ADMIN and not request.shop.profile.scan_to_pay_enabled:
        return ApplicationError(PayoutError.REQUEST_APPROVER_ONLY)  # customer-service admins: Pinduoduo only
    if actor.pk == request.requester_id:
        return ApplicationError(PayoutError.REQUEST_SELF_APPROVAL)
    return None


def payout_quota_get(*, viewer: User, user: User) -> dict:
    """客服打款配额 as read (SPEC §1, PAY-L06..L08): the main account reads any of its shop's people, anyone else
    only their own. `per_payout` / `daily` None = unlimited; `configured` False where none was ever set."""
    from core.errors import CommonError

    if viewer.role != Role.MAIN and viewer.pk != user.pk:
        raise ApplicationError(CommonError.PERMISSION_DENIED)
    quota = PayoutQuota.objects.filter(user=user).first()
    return {
        "username": user.username,
        "per_payout": quota.per_payout if quota else None,
        "daily": quota.daily if quota else None,
        "enabled": quota.enabled if quota else False,
        "configured": quota is not None,
        "updated_at": quota.updated_at if quota else None,
    }
