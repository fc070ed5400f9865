"""The platforms' orders in one platform-neutral shape (CON-04, API.md "Platform connections": Mapping).

`douyin_order(raw)` reads one `order.searchList` / `order.orderDetail` shop order, `pdd_order(raw)` one
`pdd.order.number.list.increment.get` / `pdd.order.information.get` order. Neither raises on a value it does
not know: the value is kept raw in `unknown` ({field: value as sent}), a safe default stands in, and the order
is flagged for review (`needs_review`). Buyers' personal data (names, phones, addresses: masked or encrypted
by the platforms) is not read at all (CON-07): the buyer is known only by the platform's identity.
The order-export import (CON-08) builds the same `PlatformOrder` from a file row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.clock import SHANGHAI

DOUYIN = "douyin"
PINDUODUO = "pinduoduo"
CENT = Decimal("0.01")


@dataclass
class PlatformItem:
    product_id: str
    name: str
    price: Decimal  # yuan, per unit
    quantity: int
    promo: bool = False


@dataclass
class PlatformParcel:
    tracking_no: str
    courier: str  # the courier registry's code (orders.couriers), "" when unknown
    courier_raw: str = ""  # as the platform names it


@dataclass
class PlatformOrder:
    platform: str  # DOUYIN | PINDUODUO
    order_id: str  # the platform order id: the product's order_no
    shop_id: str  # the platform's shop id ("" when the payload does not say)
    status_raw: str
    status: str  # orders.Order.Status value
    paid_amount: Decimal  # yuan, as originally paid
    buyer_id: str  # the buyer's platform identity (Douyin doudian_open_id; Pinduoduo: the order itself)
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None
    confirmed_receipt_at: dt.datetime | None = None
    group_formed_at: dt.datetime | None = None
    source_app: str = DOUYIN
    payment: str = "online"
    deposit_presale: bool = False
    goods_kind: str = "physical"
    refund_state: str = "none"
    refund_state_raw: str = ""
    category_code: str = "unassigned"
    items: list[PlatformItem] = field(default_factory=list)
    parcels: list[PlatformParcel] = field(default_factory=list)
    unknown: dict[str, Any] = field(default_factory=dict)  # values the mapping did not know, as sent

    @property
    def needs_review(self) -> bool:
        return bool(self.unknown)

    @property
    def buyer_username(self) -> str:
        """The buyer identity's user name: one per platform identity (usernames allow [\\w.@+-])."""
        import hashlib

        prefix = "dy" if self.platform == DOUYIN else "pdd"
        return f"{prefix}_{hashlib.sha256(self.buyer_id.encode()).hexdigest()[:32]}"


class MappingError(ValueError):
    """The payload lacks what makes an order (its id, amount or creation time): it cannot be stored at all."""


# --- helpers ------------------------------------------------------------------------------------------------

def _unix(value: Any) -> dt.datetime | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), tz=SHANGHAI)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MappingError(f"not a Unix time: {value!r}") from exc


def _beijing(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise MappingError(f"not a yyyy-MM-dd HH:mm:ss time: {value!r}") from exc


def _fen(value: Any) -> Decimal:
    try:
        fen = int(value)
    except (TypeError, ValueError) as exc:
        raise MappingError(f"not an amount in fen: {value!r}") from exc
    return (Decimal(fen) / 100).quantize(CENT)


def _yuan(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise MappingError(f"not an amount in yuan: {value!r}") from exc
    if not amount.is_finite():
        raise MappingError(f"not an amount in yuan: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def _required(raw: dict, name: str) -> Any:
    value = raw.get(name)
    if value in (None, ""):
        raise MappingError(f"{name} is missing")
    return value


# --- Douyin (抖店) ------------------------------------------------------------------------------------------

DOUYIN_STATUS = {"1": "stocking", "105": "stocking", "2": "stocking", "101": "partially_shipped", "3": "shipped",
                 "5": "completed", "4": "closed"}
DOUYIN_SOURCE_APP = {"2": "douyin", "8": "douyin_lite", "3": "douyin_huoshan"}
DOUYIN_GOODS_KIND = {"0": "physical", "2": "virtual", "4": "coupon_card", "5": "coupon_card"}
# after_sale_info.refund_status of a sku order: 0 none, 1 to refund, 2 refunding, 3 refunded, 4 refund refused
DOUYIN_REFUND = {"0": "none", "1": "in_progress", "2": "in_progress", "3": "refunded", "4": "none"}
# logistics_info[].company: the platform's courier codes -> orders.couriers
DOUYIN_COURIERS = {"yuantong": "yto", "jtexpress": "jt", "jitu": "jt"}


def douyin_order(raw: dict) -> PlatformOrder:
    """One Douyin shop order (`shop_order_list` item or `shop_order_detail`)."""
    unknown: dict[str, Any] = {}
    status_raw = _key(raw.get("order_status"))
    status = DOUYIN_STATUS.get(status_raw)
    if status is None:
        unknown["order_status"] = raw.get("order_status")
        status = "stocking"
    b_type = _key(raw.get("b_type"))
    source_app = DOUYIN_SOURCE_APP.get(b_type)
    if source_app is None:
        unknown["b_type"] = raw.get("b_type")
        source_app = "douyin"
    order_type = _key(raw.get("order_type", 0))
    goods_kind = DOUYIN_GOODS_KIND.get(order_type)
    if goods_kind is None:
        unknown["order_type"] = raw.get("order_type")
        goods_kind = "physical"
    items: list[PlatformItem] = []
    refunds: list[str] = []
    first_cid = ""
    for i, sku in enumerate(raw.get("sku_order_list") or []):
        quantity = int(sku.get("item_num") or 0)
        if quantity <= 0:
            unknown[f"sku_order_list[{i}].item_num"] = sku.get("item_num")
            continue
        product_id = _key(sku.get("product_id"))
        if any(it.product_id == product_id for it in items):  # two skus of one product: one line, summed
            held = next(it for it in items if it.product_id == product_id)
            held.quantity += quantity
        else:
            items.append(PlatformItem(product_id=product_id, name=_key(sku.get("product_name"))[:255],
                                      price=_fen(sku.get("goods_price", 0)), quantity=quantity))
        first_cid = first_cid or _key(sku.get("first_cid"))
        refund_raw = _key((sku.get("after_sale_info") or {}).get("refund_status", 0))
        refund = DOUYIN_REFUND.get(refund_raw)
        if refund is None:
            unknown[f"sku_order_list[{i}].after_sale_info.refund_status"] = refund_raw
            refund = "none"
        refunds.append(refund)
    if "refunded" in refunds:
        refund_state = "full" if all(r == "refunded" for r in refunds) else "partial"
    elif "in_progress" in refunds:
        refund_state = "in_progress"
    else:
        refund_state = "none"
    parcels: list[PlatformParcel] = []
    for i, info in enumerate(raw.get("logistics_info") or []):
        tracking_no = _key(info.get("tracking_no")).strip()
        company = _key(info.get("company"))
        if not tracking_no:
            continue
        courier = DOUYIN_COURIERS.get(company, "")
        if not courier:
            unknown[f"logistics_info[{i}].company"] = company
            continue  # kept raw; no parcel of an unknown courier
        parcels.append(PlatformParcel(tracking_no=tracking_no[:32], courier=courier, courier_raw=company))
    pay_type = _key(raw.get("pay_type"))
    return PlatformOrder(
        platform=DOUYIN,
        order_id=_key(_required(raw, "order_id")),
        shop_id=_key(raw.get("shop_id")),
        status_raw=status_raw,
        status=status,
        paid_amount=_fen(_required(raw, "pay_amount") if "pay_amount" in raw else _required(raw, "order_amount")),
        buyer_id=_key(raw.get("doudian_open_id")) or f"order:{raw.get('order_id')}",
        created_at=_unix(_required(raw, "create_time")),
        updated_at=_unix(raw.get("update_time")),
        paid_at=_unix(raw.get("pay_time")),
        confirmed_receipt_at=_unix(raw.get("finish_time")) if status == "completed" else None,
        source_app=source_app,
        payment="cod" if pay_type == "0" else "online",
        deposit_presale=bool(raw.get("order_phase_list")),
        goods_kind=goods_kind,
        refund_state=refund_state,
        refund_state_raw=",".join(_key((s.get("after_sale_info") or {}).get("refund_status", 0))
                                  for s in raw.get("sku_order_list") or []),
        category_code=f"douyin-{first_cid}" if first_cid else "unassigned",
        items=items,
        parcels=parcels,
        unknown=unknown,
    )


# --- Pinduoduo (拼多多) -------------------------------------------------------------------------------------

PDD_STATUS = {"1": "stocking", "2": "shipped", "3": "completed"}
PDD_REFUND = {"1": "none", "2": "in_progress", "3": "in_progress", "4": "full"}
# logistics_id (pdd.logistics.companies.get) -> orders.couriers
PDD_COURIERS = {"85": "yto", "384": "jt"}


def pdd_order(raw: dict) -> PlatformOrder:
    """One Pinduoduo order (`order_sn_list` item or `order_info_get_response.order_info`)."""
    unknown: dict[str, Any] = {}
    status_raw = _key(raw.get("order_status"))
    status = PDD_STATUS.get(status_raw)
    if status is None:
        unknown["order_status"] = raw.get("order_status")
        status = "stocking"
    confirm_status = _key(raw.get("confirm_status"))
    if confirm_status == "2":
        status = "closed"
    elif confirm_status not in ("", "0", "1"):
        unknown["confirm_status"] = raw.get("confirm_status")
    refund_raw = _key(raw.get("refund_status", 1))
    refund_state = PDD_REFUND.get(refund_raw)
    if refund_state is None:
        unknown["refund_status"] = raw.get("refund_status")
        refund_state = "none"
    trade_type = _key(raw.get("trade_type", 0))
    if trade_type not in ("0", "1"):
        unknown["trade_type"] = raw.get("trade_type")
    items: list[PlatformItem] = []
    for i, it in enumerate(raw.get("item_list") or []):
        quantity = int(it.get("goods_count") or 0)
        if quantity <= 0:
            unknown[f"item_list[{i}].goods_count"] = it.get("goods_count")
            continue
        product_id = _key(it.get("goods_id"))
        held = next((x for x in items if x.product_id == product_id), None)
        if held is not None:
            held.quantity += quantity
        else:
            items.append(PlatformItem(product_id=product_id, name=_key(it.get("goods_name"))[:255],
                                      price=_yuan(it.get("goods_price", 0)), quantity=quantity))
    parcels: list[PlatformParcel] = []
    tracking_no = _key(raw.get("tracking_number")).strip()
    if tracking_no:
        logistics_id = _key(raw.get("logistics_id"))
        courier = PDD_COURIERS.get(logistics_id, "")
        if courier:
            parcels.append(PlatformParcel(tracking_no=tracking_no[:32], courier=courier, courier_raw=logistics_id))
        else:
            unknown["logistics_id"] = raw.get("logistics_id")
    order_sn = _key(_required(raw, "order_sn"))
    cat = _key(raw.get("cat_id_1"))
    return PlatformOrder(
        platform=PINDUODUO,
        order_id=order_sn,
        shop_id=_key(raw.get("mall_id")),
        status_raw=status_raw if confirm_status != "2" else f"{status_raw}/confirm_status=2",
        status=status,
        paid_amount=_yuan(_required(raw, "pay_amount")),
        buyer_id=f"order:{order_sn}",  # Pinduoduo gives no buyer identity: the order identifies its buyer
        created_at=_beijing(_required(raw, "created_time")),
        updated_at=_beijing(raw.get("updated_at")),
        paid_at=_beijing(raw.get("pay_time")),
        confirmed_receipt_at=_beijing(raw.get("receive_time")) if status == "completed" else None,
        group_formed_at=_beijing(raw.get("confirm_time")) if _key(raw.get("group_status")) == "1" else None,
        source_app=PINDUODUO,
        payment="online",
        deposit_presale=trade_type == "1",
        goods_kind="physical",
        refund_state=refund_state,
        refund_state_raw=refund_raw,
        category_code=f"pinduoduo-{cat}" if cat else "unassigned",
        items=items,
        parcels=parcels,
        unknown=unknown,
    )
