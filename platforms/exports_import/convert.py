"""An export's order → the sync's platform-neutral `PlatformOrder` (CON-04), so that both are stored by the one
upsert with the same rules.

What an export cannot say is filled as the sync fills it when the platform does not say it either:
- the buyer: an export carries no `doudian_open_id` (and Pinduoduo never gives one), so the order identifies
  its buyer (`order:<order number>`), as the sync does for Pinduoduo; a later sync keeps the buyer it finds;
- the category: `unassigned` (the sync's own default);
- the version's time (`updated_at`): the latest time the file shows for the order (submitted, paid, shipped,
  received, finished). The upsert never lets an older version overwrite a newer one, so an export older than
  what the sync already stored changes nothing, while a newer export — or the same export again — is applied
  or found unchanged;
- the courier: by the name the file gives (圆通…, 极兔…), or else by the tracking number's pattern; a courier the
  registry does not know is kept raw in `unknown` and no parcel is made, exactly as the sync does.
"""

from __future__ import annotations

from orders.couriers import COURIERS, tracking_no_valid
from platforms.mapping import DOUYIN, PINDUODUO, PlatformItem, PlatformOrder, PlatformParcel

from .grouping import ExportOrder

# Courier names as the back offices write them (快递公司 / 快递信息) → the courier registry's code.
COURIER_NAMES = {"圆通": "yto", "yto": "yto", "极兔": "jt", "j&t": "jt", "百世": "jt"}
GOODS_KINDS = {"虚拟": "virtual", "卡券": "coupon_card", "教育": "education"}


def courier_code(text: str, tracking_no: str) -> str:
    """The courier named by the file when it names exactly one; otherwise (none, or a 快递信息 cell naming several
    parcels' couriers) the one whose tracking-number pattern the number fits; "" when neither tells."""
    lowered = (text or "").lower()
    named = {code for name, code in COURIER_NAMES.items() if name in lowered and code in COURIERS}
    if len(named) == 1:
        return named.pop()
    fitting = [code for code in COURIERS if tracking_no_valid(code, tracking_no)]
    if len(fitting) == 1 and (not named or fitting[0] in named):
        return fitting[0]
    return ""


def to_platform_order(order: ExportOrder) -> PlatformOrder:
    unknown = dict(order.unknown)
    parcels = []
    for i, parcel in enumerate(order.parcels):
        code = courier_code(parcel.courier_text, parcel.tracking_no)
        if code:
            parcels.append(PlatformParcel(tracking_no=parcel.tracking_no[:32], courier=code,
                                          courier_raw=parcel.courier_text))
        else:
            unknown[f"快递公司[{i}]" if i else "快递公司"] = f"{parcel.courier_text} {parcel.tracking_no}".strip()
    times = [t for t in (order.created_at, order.paid_at, order.confirmed_receipt_at, order.group_formed_at,
                         getattr(order, "latest_at", None)) if t is not None]
    status = order.order_status or "stocking"  # an unknown status text stays raw in `unknown` (the sync's default)
    goods_kind = "physical"
    for word, kind in GOODS_KINDS.items():
        if word in getattr(order, "type_text", ""):
            goods_kind = kind
    return PlatformOrder(
        platform=DOUYIN if order.platform == DOUYIN else PINDUODUO,
        order_id=order.order_no,
        shop_id="",
        status_raw=order.status_raw,
        status=status,
        paid_amount=order.paid_amount,
        buyer_id=f"order:{order.order_no}",
        created_at=order.created_at,
        updated_at=max(times) if times else None,
        paid_at=order.paid_at,
        confirmed_receipt_at=order.confirmed_receipt_at,
        group_formed_at=order.group_formed_at,
        source_app=order.source_app or ("douyin" if order.platform == DOUYIN else "pinduoduo"),
        payment=order.payment,
        deposit_presale=order.deposit_presale,
        goods_kind=goods_kind,
        refund_state=order.refund_state,
        refund_state_raw=order.refund_state_raw,
        category_code="unassigned",
        items=[PlatformItem(product_id=i.product_id, name=i.name[:255], price=i.price, quantity=i.quantity)
               for i in order.items],
        parcels=parcels,
        unknown=unknown,
    )
