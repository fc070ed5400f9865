"""An export's rows → one `ExportOrder` per order, in the product's terms (CON-04's values, CON-08's rows).

拼多多 exports one row per order (an order on several rows repeats its order-level values: they must agree);
抖店 exports one row per sub-order (子订单): its rows group by 主订单编号, the order's amount is the sum of its
sub-orders' 订单应付金额, its status and refund state follow from theirs. Every cell problem is a `RowError`
naming the spreadsheet's row number and the column as headed in the file; an order with any bad row is bad
as a whole (skipping bad rows skips their orders).

Values the mapping does not know (a new status text, a new channel) are not errors: the order keeps the raw
value in `unknown` and is flagged for review, as the sync does (CON-04).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from .reader import (
    PINDUODUO,
    CellError,
    SheetRows,
    cell,
    clean_amount,
    clean_count,
    clean_id,
    clean_text,
    clean_time,
)

BEIJING = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1 (or lower, after title lines)
    column: str  # the column as headed in the file
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ExportItem:
    product_id: str
    name: str
    price: Decimal
    quantity: int
    spec: str = ""
    sub_order_id: str = ""


@dataclass
class ExportParcel:
    tracking_no: str
    courier_text: str = ""  # the courier as the file names it (快递公司 / 快递信息), mapped by the sync's table


@dataclass
class ExportOrder:
    platform: str
    order_no: str
    rows: list[int]
    source_app: str = ""
    payment: str = "online"
    order_status: str = ""  # Order.Status value ("" when the file says something the mapping does not know)
    deposit_presale: bool = False
    created_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None
    paid_amount: Decimal = Decimal("0.00")
    confirmed_receipt_at: dt.datetime | None = None
    group_formed_at: dt.datetime | None = None
    refund_state: str = "none"
    items: list[ExportItem] = field(default_factory=list)
    parcels: list[ExportParcel] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)  # column → raw value the mapping does not know
    status_raw: str = ""  # 订单状态 as written
    refund_state_raw: str = ""  # 售后状态 as written
    type_text: str = ""  # 订单类型 as written (抖店)
    latest_at: dt.datetime | None = None  # the latest other time the file shows (shipped, finished)

    @property
    def first_row(self) -> int:
        return self.rows[0]


@dataclass
class ParsedExport:
    platform: str
    orders: list[ExportOrder]  # the good ones, in file order
    errors: list[RowError]
    bad_orders: list[str]  # order numbers left out because a row of theirs is bad
    row_count: int


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("，", ",").replace("（", "(").replace("）", ")")


# 订单状态 as the back offices write it → Order.Status (the texts of API.md's numeric codes).
PDD_STATUS = {
    "待发货": "stocking", "未发货": "stocking",
    "已发货,待收货": "shipped", "已发货,待签收": "shipped", "已发货": "shipped", "待收货": "shipped",
    "已收货": "completed", "已签收": "completed", "交易成功": "completed", "已完成": "completed",
    "已取消": "closed", "交易关闭": "closed", "已关闭": "closed",
    "未发货,退款成功": "closed", "已发货,退款成功": "closed", "已收货,退款成功": "closed", "退款成功": "closed",
}
DOUYIN_STATUS = {
    "待发货": "stocking", "备货中": "stocking", "已支付": "stocking",
    "部分发货": "partially_shipped",
    "已发货": "shipped", "待收货": "shipped",
    "已完成": "completed", "已签收": "completed", "交易完成": "completed",
    "已关闭": "closed", "已取消": "closed", "交易关闭": "closed",
}
# 售后状态 → Order.RefundState of the row (拼多多: of the order; 抖店: of the sub-order, then combined).
REFUND = {
    "": "none", "-": "none", "无": "none", "无售后": "none", "无售后或售后取消": "none", "售后取消": "none",
    "售后关闭": "none", "退款关闭": "none", "售后已关闭": "none",
    "售后处理中": "in_progress", "售后中": "in_progress", "退款中": "in_progress", "待商家处理": "in_progress",
    "待买家退货": "in_progress", "待商家收货": "in_progress", "待商家同意": "in_progress",
    "退款成功": "full", "售后完成": "full", "已退款": "full", "退款完成": "full", "售后成功": "full",
    "部分退款成功": "partial", "部分退款": "partial",
}
DOUYIN_APPS = {
    "": "douyin", "抖音": "douyin", "抖音app": "douyin", "抖音极速版": "douyin_lite", "抖音火山版": "douyin_huoshan",
    "火山": "douyin_huoshan", "抖音火山": "douyin_huoshan", "今日头条": "toutiao", "头条": "toutiao",
}
_SPLIT = re.compile(r"[,;，；、/|\s]+")
_TRACKING = re.compile(r"[A-Za-z0-9]{8,32}", re.ASCII)


class _Row:
    """One row's cells read with error collection."""

    def __init__(self, sheet: SheetRows, number: int, cells: list, errors: list[RowError]):
        self.sheet, self.number, self.cells, self.errors = sheet, number, cells, errors
        self.bad = False

    def header(self, column: str) -> str:
        i = self.sheet.columns.get(column)
        return (self.sheet.headers[i] or column) if i is not None and i < len(self.sheet.headers) else column

    def fail(self, column: str, message) -> None:
        self.errors.append(RowError(self.number, self.header(column), str(message)))
        self.bad = True

    def read(self, column: str, clean, *, required: bool = True):
        raw = cell(self.sheet, self.cells, column)
        if raw is None or (isinstance(raw, str) and clean_text(raw) in ("", "-")):
            if required:
                self.fail(column, _("empty"))
            return None
        try:
            return clean(raw)
        except CellError as exc:
            self.fail(column, exc)
            return None

    def text(self, column: str) -> str:
        return clean_text(cell(self.sheet, self.cells, column))

    def time(self, column: str, *, required: bool = False):
        return self.read(column, lambda v: clean_time(v, BEIJING), required=required)


def parse_orders(sheet: SheetRows) -> ParsedExport:
    errors: list[RowError] = []
    orders: dict[str, ExportOrder] = {}
    bad: dict[str, None] = {}
    seen_lines: dict[tuple, int] = {}
    per_order_rows: dict[str, list[dict]] = {}
    key_column = "订单号" if sheet.platform == PINDUODUO else "主订单编号"
    for number, cells in sheet.rows:
        row = _Row(sheet, number, cells, errors)
        order_no = row.read(key_column, clean_id)
        values = _read_pdd(row) if sheet.platform == PINDUODUO else _read_douyin(row)
        if order_no is None:
            continue
        line_key = (order_no, values.get("sub_order_id") or "", values.get("product_id"), values.get("spec"))
        if values.get("sub_order_id") or values.get("product_id"):
            if line_key in seen_lines:
                row.fail("子订单编号" if values.get("sub_order_id") else "商品id" if sheet.platform == PINDUODUO
                         else "商品ID", _("the same line as row %(row)d (a duplicate row)") % {"row": seen_lines[line_key]})
            seen_lines.setdefault(line_key, number)
        values["row"] = number
        values["bad"] = row.bad
        per_order_rows.setdefault(order_no, []).append(values)
    for order_no, rows in per_order_rows.items():
        if any(r["bad"] for r in rows):
            bad[order_no] = None
            continue
        order = _combine(sheet, order_no, rows, errors)
        if order is None:
            bad[order_no] = None
        else:
            orders[order_no] = order
    _shared_parcels(list(orders.values()))
    errors.sort(key=lambda e: e.row)
    return ParsedExport(platform=sheet.platform, orders=list(orders.values()), errors=errors,
                        bad_orders=list(bad), row_count=len(sheet.rows))


def _state(mapping: dict[str, str], raw: str) -> str | None:
    return mapping.get(_key(raw))


def _read_pdd(row: _Row) -> dict:
    quantity = row.read("商品数量(件)", clean_count)
    total = row.read("商品总价(元)", clean_amount, required=False)
    paid = row.read("用户实付金额(元)", clean_amount)
    row.read("商家实收金额(元)", clean_amount, required=False)
    row.read("邮费(元)", clean_amount, required=False)
    status_text = row.text("订单状态")
    if not status_text:
        row.fail("订单状态", _("empty"))
    refund_text = row.text("售后状态")
    return {
        "product_id": row.read("商品id", clean_id),
        "name": row.text("商品")[:255],
        "spec": row.text("商品规格")[:255],
        "quantity": quantity,
        "line_total": total,
        "paid": paid,
        "status_text": status_text,
        "refund_text": refund_text,
        "created_at": row.time("订单成交时间", required=True),
        "confirmed_receipt_at": row.time("确认收货时间"),
        "group_formed_at": row.time("成团时间"),
        "shipped_at": row.time("发货时间"),
        "tracking": _tracking_numbers(row, "快递单号"),
        "courier_text": row.text("快递公司"),
    }


def _read_douyin(row: _Row) -> dict:
    sub_order_id = row.read("子订单编号", clean_id, required=False) or ""
    tracking = _tracking_numbers(row, "快递单号")
    info = row.text("快递信息")
    courier_text = row.text("快递公司")
    if info:
        for token in _TRACKING.findall(info):
            if any(ch.isdigit() for ch in token) and token not in tracking:
                tracking.append(token)
        courier_text = courier_text or _TRACKING.sub(" ", info).strip(" ,;:：，；")
    status_text = row.text("订单状态")
    if not status_text:
        row.fail("订单状态", _("empty"))
    return {
        "sub_order_id": sub_order_id,
        "product_id": row.read("商品ID", clean_id),
        "name": row.text("选购商品")[:255],
        "spec": row.text("商品规格")[:255],
        "quantity": row.read("商品数量", clean_count),
        "unit_price": row.read("商品单价", clean_amount, required=False),
        "paid": row.read("订单应付金额", clean_amount),
        "status_text": status_text,
        "refund_text": row.text("售后状态"),
        "created_at": row.time("订单提交时间", required=True),
        "paid_at": row.time("支付完成时间"),
        "finished_at": row.time("订单完成时间"),
        "tracking": tracking,
        "courier_text": courier_text,
        "pay_text": row.text("支付方式"),
        "app_text": row.text("APP渠道"),
        "type_text": row.text("订单类型"),
    }


def _tracking_numbers(row: _Row, column: str) -> list[str]:
    text = row.text(column)
    if text in ("", "-"):
        return []
    numbers = []
    for token in _SPLIT.split(text):
        token = clean_text(token)
        if not token:
            continue
        if not _TRACKING.fullmatch(token):
            row.fail(column, _("not a tracking number: %(value)s") % {"value": token[:40]})
            return []
        if token not in numbers:
            numbers.append(token)
    return numbers


def _combine(sheet: SheetRows, order_no: str, rows: list[dict], errors: list[RowError]) -> ExportOrder | None:
    first = rows[0]
    order = ExportOrder(platform=sheet.platform, order_no=order_no, rows=[r["row"] for r in rows],
                        created_at=first["created_at"])
    ok = True

    def disagree(r: dict, column: str, key: str) -> None:
        nonlocal ok
        i = sheet.columns.get(column)
        header = sheet.headers[i] if i is not None and i < len(sheet.headers) else column
        errors.append(RowError(r["row"], header, str(_("differs from row %(row)d of the same order")
                                                      % {"row": first["row"]})))
        ok = False

    for r in rows[1:]:
        if r["created_at"] != first["created_at"]:
            disagree(r, "订单成交时间" if sheet.platform == PINDUODUO else "订单提交时间", "created_at")
    if sheet.platform == PINDUODUO:
        for r in rows[1:]:
            for column, key in (("用户实付金额(元)", "paid"), ("订单状态", "status_text"), ("售后状态", "refund_text")):
                if r[key] != first[key]:
                    disagree(r, column, key)
        if not ok:
            return None
        order.source_app = "pinduoduo"
        order.paid_amount = first["paid"]
        order.order_status = _state(PDD_STATUS, first["status_text"]) or ""
        if not order.order_status:
            order.unknown["订单状态"] = first["status_text"]
        refund = _state(REFUND, first["refund_text"])
        if refund is None:
            order.unknown["售后状态"] = first["refund_text"]
        order.refund_state = refund or "none"
        if "退款成功" in _key(first["status_text"]) and order.refund_state == "none":
            order.refund_state = "full"
        order.status_raw, order.refund_state_raw = first["status_text"], first["refund_text"]
        order.paid_at = first["created_at"]
        shipped = [r["shipped_at"] for r in rows if r["shipped_at"]]
        order.latest_at = max(shipped) if shipped else None
        order.confirmed_receipt_at = first["confirmed_receipt_at"] if order.order_status == "completed" else None
        order.group_formed_at = first["group_formed_at"] or first["created_at"]
        for r in rows:
            total = r["line_total"] if r["line_total"] is not None else r["paid"]
            _add_item(order, r["product_id"], r["name"], total, r["quantity"], r["spec"])
            for number in r["tracking"]:
                _add_parcel(order, number, r["courier_text"])
        return order

    # 抖店: one row per sub-order.
    if not ok:
        return None
    order.paid_amount = sum((r["paid"] for r in rows), Decimal("0.00"))
    statuses = []
    for r in rows:
        status = _state(DOUYIN_STATUS, r["status_text"])
        if status is None:
            order.unknown["订单状态"] = r["status_text"]
        else:
            statuses.append(status)
    order.order_status = _combine_status(statuses) if statuses else ""
    refunds = []
    for r in rows:
        refund = _state(REFUND, r["refund_text"])
        if refund is None:
            order.unknown["售后状态"] = r["refund_text"]
        else:
            refunds.append(refund)
    order.refund_state = _combine_refund(refunds)
    apps = {r["app_text"] for r in rows}
    app_text = sorted(apps)[0]
    order.source_app = DOUYIN_APPS.get(_key(app_text).lower(), "")
    if not order.source_app:
        order.unknown["APP渠道"] = app_text
    order.payment = "cod" if any("货到付款" in r["pay_text"] for r in rows) else "online"
    order.deposit_presale = any("定金预售" in r["type_text"] or "定金" in r["type_text"] for r in rows)
    order.status_raw = "/".join(dict.fromkeys(r["status_text"] for r in rows))
    order.refund_state_raw = "/".join(dict.fromkeys(r["refund_text"] for r in rows))
    order.type_text = "/".join(dict.fromkeys(r["type_text"] for r in rows if r["type_text"]))
    finished = [r["finished_at"] for r in rows if r["finished_at"]]
    order.latest_at = max(finished) if finished else None
    order.paid_at = next((r["paid_at"] for r in rows if r["paid_at"]), None)
    if order.payment == "online" and order.paid_at is None:
        order.paid_at = order.created_at
    if order.order_status == "completed":
        order.confirmed_receipt_at = next((r["finished_at"] for r in rows if r["finished_at"]), None)
    for r in rows:
        if r["unit_price"] is not None:
            total = r["unit_price"] * r["quantity"]
        else:
            total = r["paid"]
        _add_item(order, r["product_id"], r["name"], total, r["quantity"], r["spec"], r["sub_order_id"])
        for number in r["tracking"]:
            _add_parcel(order, number, r["courier_text"])
    return order


def _shared_parcels(orders: list[ExportOrder]) -> None:
    """Orders shipped together (合并发货) share one tracking number, but a parcel belongs to one order here: the
    first order of the file keeps it; each later one keeps the number raw and is flagged for review."""
    holder: dict[str, str] = {}
    for order in orders:
        kept = []
        for parcel in order.parcels:
            first = holder.setdefault(parcel.tracking_no, order.order_no)
            if first == order.order_no:
                kept.append(parcel)
            else:
                order.unknown["快递单号"] = f"{parcel.tracking_no} ({first})"
        order.parcels = kept


def _add_item(order: ExportOrder, product_id: str, name: str, total: Decimal, quantity: int, spec: str,
              sub_order_id: str = "") -> None:
    """One item per product id (the product's item key): two SKUs of one product add up."""
    for item in order.items:
        if item.product_id == product_id:
            line = item.price * item.quantity + total
            item.quantity += quantity
            item.price = (line / item.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            return
    price = (total / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    order.items.append(ExportItem(product_id=product_id, name=name or product_id, price=price, quantity=quantity,
                                  spec=spec, sub_order_id=sub_order_id))


def _add_parcel(order: ExportOrder, tracking_no: str, courier_text: str) -> None:
    if all(p.tracking_no != tracking_no for p in order.parcels):
        order.parcels.append(ExportParcel(tracking_no=tracking_no, courier_text=courier_text))


_STATUS_RANK = ["stocking", "partially_shipped", "shipped", "completed"]


def _combine_status(statuses: list[str]) -> str:
    """The order's status from its sub-orders': closed only when all are; some shipped and some not →
    partially shipped; otherwise the least advanced."""
    live = [s for s in statuses if s != "closed"]
    if not live:
        return "closed"
    kinds = set(live)
    if "stocking" in kinds and kinds & {"shipped", "completed", "partially_shipped"}:
        return "partially_shipped"
    return min(live, key=_STATUS_RANK.index)


def _combine_refund(refunds: list[str]) -> str:
    kinds = set(refunds) or {"none"}
    if "in_progress" in kinds:
        return "in_progress"
    if kinds == {"full"}:
        return "full"
    if kinds == {"none"}:
        return "none"
    return "partial"
