"""The scenario loader: creates or updates (by key) shops, people, orders and outlets, as a platform
order sync would (API.md "Scenario loader").

The whole file is checked first; any error names the bad field's path
(`shops[0].orders[3].paid_amount: not a decimal`) and nothing is written. Then everything is applied
in one transaction. Rows are written only where a value differs, so loading the same file twice
changes nothing (no row, no ledger entry, no log line). A shop's `balance`, `frozen` and `deposit` are its
opening figures: they apply when the shop gets its account, and never move an existing shop's money.

A time is absolute (ISO 8601 with an offset) or relative to when the file is loaded (`"-10d"`, `"-2h"`,
`"-9d-23h-48m"`, `"now"`), so that a demo never ages. An order's relative times are resolved against the moment
the order was first loaded (recovered from its stored `created_at` when that is relative too), so loading the
same file again later changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import SHOP_ROLES, ApiToken, PayoutQuota, PlatformProfile, Role, Shop, ShopAccount, User
from accounts.services import api_token_install, profiles_ensure_defaults, shop_account_sync
from accounts.tokens import installed_key_refusal, token_digest
from core.money import parse_money

from .couriers import COURIERS, tracking_no_valid
from .events import order_sync_updated_event, order_synced_event
from .models import Category, Order, OrderItem, Outlet, Parcel, PlatformShippingRefund

IGNORED_KEYS = {"note"}


RELATIVE = re.compile(r"^(?:now|(?:[+-]\d{1,5}[dhm])+)$")
RELATIVE_PART = re.compile(r"([+-])(\d{1,5})([dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Relative:
    """A time relative to when the file is loaded (`"-10d"`, `"-2h"`, `"-9d-23h-48m"`, `"now"`)."""

    offset: dt.timedelta

    @classmethod
    def parse(cls, text: str) -> Relative | None:
        if not RELATIVE.match(text):
            return None
        offset = dt.timedelta()
        for sign, number, unit in RELATIVE_PART.findall(text):
            part = dt.timedelta(**{UNITS[unit]: int(number)})
            offset += part if sign == "+" else -part
        return cls(offset)


def resolve(value, anchor: dt.datetime):
    """A parsed time as stored: absolute as it is, relative from `anchor`."""
    return anchor + value.offset if isinstance(value, Relative) else value


class ScenarioError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Checker:
    """Reads typed values out of the file, collecting `path: problem` lines instead of stopping."""

    errors: list[str] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def obj(self, value: Any, path: str, allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "not an object")
            return {}
        for key in value.keys() - allowed - IGNORED_KEYS:
            self.fail(f"{path}.{key}", "unknown field")
        return value

    def list(self, data: dict, key: str, path: str) -> list:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{path}.{key}" if path else key, "not a list")
            return []
        return value

    def str(self, data: dict, key: str, path: str, *, required: bool = True, max_length: int = 255) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", "not a non-empty string")
            return None
        if len(value) > max_length:
            self.fail(f"{path}.{key}", f"longer than {max_length} characters")
            return None
        return value

    def choice(self, data: dict, key: str, path: str, choices, default: str | None = None) -> str | None:
        value = data.get(key, default)
        allowed = [c[0] if isinstance(c, tuple) else c for c in choices]
        if value is None:
            self.fail(f"{path}.{key}", "required")
        elif value not in allowed:
            self.fail(f"{path}.{key}", f"not one of {', '.join(allowed)}")
            return None
        return value

    def bool(self, data: dict, key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", "not true or false")
            return default
        return value

    def int(self, data: dict, key: str, path: str, *, minimum: int = 1) -> int | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}.{key}", "not a whole number")
            return None
        if value < minimum:
            self.fail(f"{path}.{key}", f"less than {minimum}")
            return None
        return value

    def money(self, data: dict, key: str, path: str, *, required: bool = True, minimum: Decimal | None = Decimal("0")):
        if data.get(key) is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return None
        try:
            amount = parse_money(data[key])
        except ValueError as exc:
            self.fail(f"{path}.{key}", str(exc))
            return None
        if minimum is not None and amount < minimum:
            self.fail(f"{path}.{key}", f"less than {minimum}")
            return None
        if abs(amount) >= Decimal("1e12"):
            self.fail(f"{path}.{key}", "too large")
            return None
        return amount

    def time(self, data: dict, key: str, path: str, *, required: bool = True) -> dt.datetime | Relative | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return None
        if isinstance(value, str) and (relative := Relative.parse(value.strip())) is not None:
            return relative
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail(f"{path}.{key}", 'not an ISO 8601 time nor a relative one ("-10d", "-2h", "-9d-23h-48m")')
            return None
        if parsed.tzinfo is None:
            self.fail(f"{path}.{key}", "time without an offset")
            return None
        return parsed


SHOP_KEYS = {
    "key", "name", "profile", "status", "qualification", "aggregated_account", "e_waybill", "withdrawal_frozen",
    "unpaid_bill", "zero_fee_entry", "deposit_paid", "balance", "frozen", "deposit", "users", "orders",
}
ORDER_KEYS = {
    "order_no", "buyer", "source_app", "payment", "status", "deposit_presale", "goods_kind", "category", "local_life",
    "cross_border", "created_at", "paid_at", "paid_amount", "confirmed_receipt_at", "group_formed_at", "refund_state",
    "platform_shipping_refunds", "items", "parcels",
}
PERSON_KEYS = {"username", "password", "token", "token_channel"}


def _parse(data: Any) -> dict:
    """Check the whole file and return it as plain typed values. Raises ScenarioError listing every problem."""
    c = _Checker()
    root = c.obj(data, "(file)", {"shops", "buyers", "outlets", "platform_staff", "categories", "activity"})
    out: dict[str, list] = {"categories": [], "outlets": [], "platform_staff": [], "buyers": [], "shops": [],
                            "activity": []}
    usernames: dict[str, str] = {}
    tokens: dict[str, str] = {}

    def person(raw: Any, path: str, extra_keys: set[str] = frozenset()) -> dict:
        p = c.obj(raw, path, PERSON_KEYS | extra_keys)
        username = c.str(p, "username", path, max_length=150)
        if username:
            if username in usernames:
                c.fail(f"{path}.username", f"{username!r} also appears at {usernames[username]}")
            usernames.setdefault(username, path)
        token = c.str(p, "token", path, required=False, max_length=40)
        if token:
            if token in tokens:
                c.fail(f"{path}.token", f"also used at {tokens[token]}")
            tokens.setdefault(token, path)
        password = c.str(p, "password", path, required=False, max_length=128)
        channel = c.choice(p, "token_channel", path, ApiToken.Channel.choices, default=ApiToken.Channel.CHAT_TOOL)
        return {"username": username, "token": token, "token_channel": channel, "password": password, "raw": p}

    category_codes = set(Category.objects.values_list("code", flat=True))
    for i, raw in enumerate(c.list(root, "categories", "")):
        path = f"categories[{i}]"
        cat = c.obj(raw, path, {"code", "name", "reship_enabled"})
        code = c.str(cat, "code", path, max_length=64)
        out["categories"].append(
            {"code": code, "name": c.str(cat, "name", path, required=False, max_length=128) or "",
             "reship_enabled": c.bool(cat, "reship_enabled", path, False)}
        )
        category_codes.add(code)

    outlet_couriers = dict(Outlet.objects.values_list("code", "courier"))
    for i, raw in enumerate(c.list(root, "outlets", "")):
        path = f"outlets[{i}]"
        o = c.obj(raw, path, {"code", "courier", "name", "e_waybill", "users"})
        code = c.str(o, "code", path, max_length=64)
        courier = c.choice(o, "courier", path, list(COURIERS))
        users = [person(u, f"{path}.users[{j}]") for j, u in enumerate(c.list(o, "users", path))]
        out["outlets"].append(
            {"code": code, "courier": courier, "name": c.str(o, "name", path, max_length=128),
             "e_waybill": c.bool(o, "e_waybill", path, False), "users": users}
        )
        outlet_couriers[code] = courier

    for i, raw in enumerate(c.list(root, "platform_staff", "")):
        out["platform_staff"].append(person(raw, f"platform_staff[{i}]"))

    buyer_names = set(User.objects.filter(role=Role.BUYER).values_list("username", flat=True))
    for i, raw in enumerate(c.list(root, "buyers", "")):
        path = f"buyers[{i}]"
        b = person(raw, path, {"wallet"})
        b["wallet"] = c.choice(b["raw"], "wallet", path, User.Wallet.choices, default="ok")
        out["buyers"].append(b)
        buyer_names.add(b["username"])

    profile_codes = set(PlatformProfile.objects.values_list("code", flat=True))
    order_nos: dict[str, str] = {}
    tracking: dict[str, str] = {}
    for i, raw in enumerate(c.list(root, "shops", "")):
        path = f"shops[{i}]"
        s = c.obj(raw, path, SHOP_KEYS)
        shop = {
            "key": c.str(s, "key", path, max_length=64),
            "name": c.str(s, "name", path, max_length=128),
            "profile": c.choice(s, "profile", path, sorted(profile_codes)),
            "status": c.choice(s, "status", path, Shop.Status.choices, default="normal"),
            "qualification": c.choice(s, "qualification", path, Shop.Qualification.choices, default="enterprise"),
            "aggregated_account": c.bool(s, "aggregated_account", path, False),
            "e_waybill": c.bool(s, "e_waybill", path, False),
            "withdrawal_frozen": c.bool(s, "withdrawal_frozen", path, False),
            "unpaid_bill": c.bool(s, "unpaid_bill", path, False),
            "zero_fee_entry": c.bool(s, "zero_fee_entry", path, False),
            "deposit_paid": c.bool(s, "deposit_paid", path, True),
            "balance": c.money(s, "balance", path, required=False),
            "frozen": c.money(s, "frozen", path, required=False),
            "deposit": c.money(s, "deposit", path, required=False, minimum=None),
            "users": [],
            "orders": [],
        }
        mains = [u.get("username") for u in c.list(s, "users", path) if isinstance(u, dict) and u.get("role") == "main"]
        if len(mains) > 1:
            c.fail(f"{path}.users", f"more than one main account ({', '.join(map(str, mains))})")
        for j, raw_user in enumerate(c.list(s, "users", path)):
            upath = f"{path}.users[{j}]"
            u = person(raw_user, upath, {"role", "quota"})
            u["role"] = c.choice(u["raw"], "role", upath, [Role.MAIN, Role.CS_ADMIN, Role.SUB])
            u["quota"] = None
            if u["raw"].get("quota") is not None:
                qpath = f"{upath}.quota"
                q = c.obj(u["raw"]["quota"], qpath, {"per_payout", "daily", "enabled"})
                if u["role"] != Role.SUB:
                    c.fail(qpath, "quotas are for sub-accounts only")
                u["quota"] = {
                    "per_payout": c.money(q, "per_payout", qpath, required=False, minimum=Decimal("0.01")),
                    "daily": c.money(q, "daily", qpath, required=False, minimum=Decimal("0.01")),
                    "enabled": c.bool(q, "enabled", qpath, True),
                }
            shop["users"].append(u)
        for j, raw_order in enumerate(c.list(s, "orders", path)):
            shop["orders"].append(_parse_order(c, raw_order, f"{path}.orders[{j}]", order_nos, tracking,
                                               category_codes, buyer_names, outlet_couriers))
        out["shops"].append(shop)

    keys: dict[str, str] = {}
    for i, raw in enumerate(c.list(root, "activity", "")):
        path = f"activity[{i}]"
        if not isinstance(raw, dict):
            c.fail(path, "not an object")
            continue
        key = c.str(raw, "key", path, max_length=64)
        c.str(raw, "as", path, max_length=150)
        c.choice(raw, "do", path, ACTIVITY_DOS)
        if key in keys:
            c.fail(f"{path}.key", f"{key!r} also used at {keys[key]}")
        keys.setdefault(key, path)
        out["activity"].append({"path": path, **raw})

    if c.errors:
        raise ScenarioError(c.errors)
    return out


# --- activity (API.md "Scenario loader": `activity`) ----------------------------------------------------------
# What each item does is the business of the app whose service does it; this app knows none of them (it sits
# below them), so the app that applies activity registers its runner here (workbench.activity). The runner gets
# the parsed items, in order, inside the loader's transaction, and raises ScenarioError to refuse the file.

ACTIVITY_DOS = ("ticket", "payout", "payout_request", "approve_request", "reject_request", "contract", "intercept",
                "open_entry", "entry_request", "ship")
ACTIVITY_RUNNERS: list = []


def activity_runner(func):
    """Register the function that applies the `activity` items: `func(items) -> {what: count}`."""
    if func not in ACTIVITY_RUNNERS:
        ACTIVITY_RUNNERS.append(func)
    return func


def _parse_order(c, raw, path, order_nos, tracking, category_codes, buyer_names, outlet_couriers) -> dict:
    o = c.obj(raw, path, ORDER_KEYS)
    order = {
        "order_no": c.str(o, "order_no", path, max_length=64),
        "buyer": c.str(o, "buyer", path, max_length=150),
        "source_app": c.choice(o, "source_app", path, Order.SourceApp.choices),
        "payment": c.choice(o, "payment", path, Order.Payment.choices, default="online"),
        "status": c.choice(o, "status", path, Order.Status.choices),
        "deposit_presale": c.bool(o, "deposit_presale", path, False),
        "goods_kind": c.choice(o, "goods_kind", path, Order.GoodsKind.choices, default="physical"),
        "category": c.str(o, "category", path, max_length=64),
        "local_life": c.bool(o, "local_life", path, False),
        "cross_border": c.bool(o, "cross_border", path, False),
        "created_at": c.time(o, "created_at", path),
        "paid_at": c.time(o, "paid_at", path, required=False),
        "paid_amount": c.money(o, "paid_amount", path),
        "confirmed_receipt_at": c.time(o, "confirmed_receipt_at", path, required=False),
        "group_formed_at": c.time(o, "group_formed_at", path, required=False),
        "refund_state": c.choice(o, "refund_state", path, Order.RefundState.choices, default="none"),
        "items": [],
        "parcels": [],
        "platform_shipping_refunds": [],
    }
    if order["order_no"]:
        if order["order_no"] in order_nos:
            c.fail(f"{path}.order_no", f"{order['order_no']!r} also appears at {order_nos[order['order_no']]}")
        order_nos.setdefault(order["order_no"], path)
    if order["buyer"] and order["buyer"] not in buyer_names:
        c.fail(f"{path}.buyer", f"no buyer {order['buyer']!r}")
    if order["category"] and order["category"] not in category_codes:
        c.fail(f"{path}.category", f"no category {order['category']!r}")
    product_ids = set()
    for k, raw_item in enumerate(c.list(o, "items", path)):
        ipath = f"{path}.items[{k}]"
        it = c.obj(raw_item, ipath, {"product_id", "name", "price", "quantity", "promo"})
        item = {
            "product_id": c.str(it, "product_id", ipath, max_length=64),
            "name": c.str(it, "name", ipath),
            "price": c.money(it, "price", ipath),
            "quantity": c.int(it, "quantity", ipath),
            "promo": c.bool(it, "promo", ipath, False),
        }
        if item["product_id"] in product_ids:
            c.fail(f"{ipath}.product_id", "appears twice in the order")
        product_ids.add(item["product_id"])
        order["items"].append(item)
    for k, raw_parcel in enumerate(c.list(o, "parcels", path)):
        ppath = f"{path}.parcels[{k}]"
        p = c.obj(raw_parcel, ppath, {"courier", "tracking_no", "outlet", "status"})
        parcel = {
            "courier": c.choice(p, "courier", ppath, list(COURIERS)),
            "tracking_no": c.str(p, "tracking_no", ppath, max_length=32),
            "outlet": c.str(p, "outlet", ppath, required=False, max_length=64),
            "status": c.choice(p, "status", ppath, Parcel.Status.choices, default="in_transit"),
        }
        if parcel["courier"] and parcel["tracking_no"]:
            if not tracking_no_valid(parcel["courier"], parcel["tracking_no"]):
                c.fail(f"{ppath}.tracking_no", f"not a {parcel['courier']} tracking number")
            if parcel["tracking_no"] in tracking:
                c.fail(f"{ppath}.tracking_no", f"also used at {tracking[parcel['tracking_no']]}")
            tracking.setdefault(parcel["tracking_no"], ppath)
        if parcel["outlet"]:
            if parcel["outlet"] not in outlet_couriers:
                c.fail(f"{ppath}.outlet", f"no outlet {parcel['outlet']!r}")
            elif parcel["courier"] and outlet_couriers[parcel["outlet"]] != parcel["courier"]:
                c.fail(f"{ppath}.outlet", "belongs to another courier")
        order["parcels"].append(parcel)
    for k, raw_refund in enumerate(c.list(o, "platform_shipping_refunds", path)):
        rpath = f"{path}.platform_shipping_refunds[{k}]"
        r = c.obj(raw_refund, rpath, {"amount", "at"})
        order["platform_shipping_refunds"].append(
            {"amount": c.money(r, "amount", rpath, minimum=Decimal("0.01")), "at": c.time(r, "at", rpath)}
        )
    return order


def _upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, bool, list[str]]:
    """Create the row, or update only the fields whose value differs. Returns (row, created, changed)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True, []
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    return obj, False, changed


class _Writer:
    def __init__(self, loaded_at: dt.datetime) -> None:
        self.counts: dict[str, int] = {}
        self.errors: list[str] = []
        self.loaded_at = loaded_at

    def count(self, what: str, created: bool, changed: list[str] | bool) -> None:
        if created:
            self.counts[f"{what} created"] = self.counts.get(f"{what} created", 0) + 1
        elif changed:
            self.counts[f"{what} updated"] = self.counts.get(f"{what} updated", 0) + 1

    def person(self, p: dict, path: str, *, role: str, shop: Shop | None = None, outlet: Outlet | None = None,
               wallet: str = "") -> User:
        user = User.objects.filter(username=p["username"]).first()
        same_kind = user is not None and (user.role == role or (user.role in SHOP_ROLES and role in SHOP_ROLES))
        if user is not None and not same_kind:
            self.errors.append(f"{path}.username: {p['username']!r} is already a {user.role} user")
            return user
        if user is not None and user.shop_id != (shop.pk if shop else None):
            self.errors.append(f"{path}.username: {p['username']!r} belongs to another shop")
            return user
        if role == Role.MAIN:
            other = User.objects.filter(shop=shop, role=Role.MAIN).exclude(username=p["username"]).first()
            if other is not None:
                self.errors.append(f"{path}.role: the shop's main account is already {other.username!r}")
                return user or other
        values = {"role": role, "shop": shop, "outlet": outlet, "sandbox_wallet": wallet}
        user, created, changed = _upsert(User, {"username": p["username"]}, values)
        if created:
            if p["password"]:
                user.set_password(p["password"])
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
        elif p["password"] and not user.check_password(p["password"]):
            user.set_password(p["password"])
            user.save(update_fields=["password"])
            changed = [*changed, "password"]
        self.count("users", created, changed)
        if p["token"] and (refusal := installed_key_refusal(p["token"])):
            self.errors.append(f"{path}.token: {refusal}")
        elif p["token"]:
            held = ApiToken.objects.filter(digest=token_digest(p["token"])).first()
            if held is not None and held.user_id != user.pk:
                self.errors.append(f"{path}.token: already held by another user")
            elif held is None or held.revoked_at is not None or held.channel != p["token_channel"]:
                # stored as a digest only (SEC-02); issued for its channel (PAY-E10)
                api_token_install(user=user, key=p["token"], channel=p["token_channel"])
                self.count("tokens", held is None, True)
        return user

    def quota(self, user: User, shop: Shop, q: dict) -> None:
        quota = PayoutQuota.objects.filter(user=user).first()
        values = {"shop": shop, "per_payout": q["per_payout"], "daily": q["daily"], "enabled": q["enabled"]}
        if quota is None:
            quota = PayoutQuota(user=user, **values)
        elif all(getattr(quota, k) == v for k, v in values.items()):
            return
        for k, v in values.items():
            setattr(quota, k, v)
        created = quota.pk is None
        quota.save()
        self.count("quotas", created, True)

    def order(self, shop: Shop, o: dict, path: str, buyers: dict[str, User], categories: dict[str, Category],
              outlets: dict[str, Outlet]) -> None:
        existing = Order.objects.filter(order_no=o["order_no"]).only("shop_id", "created_at").first()
        if existing is not None and existing.shop_id != shop.pk:
            self.errors.append(f"{path}.order_no: {o['order_no']!r} belongs to another shop")
            return
        # Relative times count from when the order was first loaded: a later load resolves them the same way.
        anchor = self.loaded_at
        if existing is not None and isinstance(o["created_at"], Relative):
            anchor = existing.created_at - o["created_at"].offset
        values = {k: resolve(o[k], anchor) for k in (
            "source_app", "payment", "status", "deposit_presale", "goods_kind", "local_life", "cross_border",
            "created_at", "paid_at", "paid_amount", "confirmed_receipt_at", "group_formed_at", "refund_state")}
        values.update(shop=shop, buyer=buyers[o["buyer"]], category=categories[o["category"]])
        order, created, changed = _upsert(Order, {"order_no": o["order_no"]}, values)
        self.count("orders", created, changed)
        if created:
            order_synced_event(order=order, source="scenario")
        elif changed:
            order_sync_updated_event(order=order, fields=changed)
        for item in o["items"]:
            lookup = {"order": order, "product_id": item["product_id"]}
            _, c, ch = _upsert(OrderItem, lookup, {k: item[k] for k in ("name", "price", "quantity", "promo")})
            self.count("items", c, ch)
        for p in o["parcels"]:
            parcel = Parcel.objects.filter(tracking_no=p["tracking_no"]).only("order_id").first()
            if parcel is not None and parcel.order_id != order.pk:
                self.errors.append(f"{path}: parcel {p['tracking_no']} belongs to another order")
                continue
            values = {"order": order, "courier": p["courier"], "status": p["status"],
                      "outlet": outlets[p["outlet"]] if p["outlet"] else None}
            _, c, ch = _upsert(Parcel, {"tracking_no": p["tracking_no"]}, values)
            self.count("parcels", c, ch)
        for r in o["platform_shipping_refunds"]:
            _, c = PlatformShippingRefund.objects.get_or_create(order=order, at=resolve(r["at"], anchor),
                                                                amount=r["amount"])
            self.count("shipping refunds", c, False)


def load_scenario(data: Any, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Check, then apply `data` in one transaction. Returns counts of rows created and updated. `now`: the
    moment relative times count from (default: the current time)."""
    profiles_ensure_defaults()
    parsed = _parse(data)
    writer = _Writer(now or timezone.now())
    with transaction.atomic():
        categories = {}
        for cat in parsed["categories"]:
            categories[cat["code"]], c, ch = _upsert(
                Category, {"code": cat["code"]}, {"name": cat["name"], "reship_enabled": cat["reship_enabled"]}
            )
            writer.count("categories", c, ch)
        outlets = {}
        for i, o in enumerate(parsed["outlets"]):
            outlets[o["code"]], c, ch = _upsert(
                Outlet, {"code": o["code"]}, {"courier": o["courier"], "name": o["name"], "e_waybill": o["e_waybill"]}
            )
            writer.count("outlets", c, ch)
            for j, u in enumerate(o["users"]):
                writer.person(u, f"outlets[{i}].users[{j}]", role=Role.OUTLET, outlet=outlets[o["code"]])
        for i, p in enumerate(parsed["platform_staff"]):
            writer.person(p, f"platform_staff[{i}]", role=Role.PLATFORM)
        for i, b in enumerate(parsed["buyers"]):
            writer.person(b, f"buyers[{i}]", role=Role.BUYER, wallet=b["wallet"])
        profiles = {p.code: p for p in PlatformProfile.objects.all()}
        buyers = {u.username: u for u in User.objects.filter(role=Role.BUYER)}
        categories.update({c.code: c for c in Category.objects.exclude(code__in=categories)})
        outlets.update({o.code: o for o in Outlet.objects.exclude(code__in=outlets)})
        for i, s in enumerate(parsed["shops"]):
            path = f"shops[{i}]"
            values = {k: s[k] for k in (
                "name", "status", "qualification", "aggregated_account", "e_waybill", "withdrawal_frozen",
                "unpaid_bill", "zero_fee_entry", "deposit_paid")}
            values["profile"] = profiles[s["profile"]]
            shop, c, ch = _upsert(Shop, {"key": s["key"]}, values)
            writer.count("shops", c, ch)
            # The file gives a new shop its opening figures (one `sync` ledger entry); an existing shop's money
            # moves only through the ledger, so loading again never undoes what happened since (a field left
            # out of the file, None, leaves the figure as it is).
            if not ShopAccount.objects.filter(shop=shop).exists():
                entry = shop_account_sync(shop=shop, balance=s["balance"], frozen=s["frozen"], deposit=s["deposit"])
                writer.count("ledger entries", entry is not None, False)
            for j, u in enumerate(s["users"]):
                user = writer.person(u, f"{path}.users[{j}]", role=u["role"], shop=shop)
                if u["quota"] is not None and not writer.errors:
                    writer.quota(user, shop, u["quota"])
            for j, o in enumerate(s["orders"]):
                writer.order(shop, o, f"{path}.orders[{j}]", buyers, categories, outlets)
        if writer.errors:
            transaction.set_rollback(True)
            raise ScenarioError(writer.errors)
        if parsed["activity"]:
            if not ACTIVITY_RUNNERS:
                raise ScenarioError(["activity: no app applies activity (INSTALLED_APPS)"])
            for runner in ACTIVITY_RUNNERS:
                for what, n in runner(parsed["activity"]).items():
                    writer.counts[what] = writer.counts.get(what, 0) + n
    return writer.counts
