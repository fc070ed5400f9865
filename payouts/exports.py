"""The payout records export (PAY-R01): one column table, one row reader, CSV and XLSX writers. The admin's
export/csv|xlsx/ and the API's `?format=csv` both use it.

Two readings of one row: `coded` (the API: stable codes, times ISO 8601 in +08:00) and shown (the admin: the
labels of the page's language, Asia/Shanghai times). Text typed by people that starts like a formula is
quoted either way (core.export.spreadsheet_safe).
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.clock import SHANGHAI
from core.export import csv_lines, spreadsheet_safe, xlsx_bytes

from .models import FailureReason, PayMethod, PayoutStatus, PayoutType, ScanChannel

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str  # the API's header (stable)
    field: str  # what the row reads
    zh: str  # the API's Chinese caption (?header=zh)
    label: Promise  # the admin's header, in the page's language
    choices: type[models.TextChoices] | None = None


COLUMNS = {c.key: c for c in (
    Column("id", "id", "打款ID", _("payout number")),
    Column("order_no", "order__order_no", "订单号", _("order number")),
    Column("type", "type", "打款类型", _("payout type"), PayoutType),
    Column("amount", "amount", "打款金额", _("amount")),
    Column("status", "status", "打款状态", _("status"), PayoutStatus),
    Column("failure_reason", "failure_reason", "失败原因", _("failure reason"), FailureReason),
    Column("reason", "reason", "打款原因", _("reason")),
    Column("buyer_message", "buyer_message", "给买家的留言", _("message to the buyer")),
    Column("product_id", "product_id", "关联商品ID", _("related product")),
    Column("pay_method", "pay_method", "支付方式", _("pay method"), PayMethod),
    Column("scan_channel", "scan_channel", "扫码渠道", _("scan channel"), ScanChannel),
    Column("applicant", "applicant__username", "申请人", _("applicant")),
    Column("approved_by", "approved_by__username", "审批人", _("approved by")),
    Column("created_at", "created_at", "创建时间(扣款时间)", _("created at")),
    Column("closed_at", "closed_at", "关闭时间", _("closed at")),
    Column("returned_at", "returned_at", "退回时间", _("money returned at")),
    Column("shop", "shop__name", "店铺", _("shop")),
)}

API_COLUMNS = ("id", "order_no", "type", "amount", "status", "failure_reason", "reason", "buyer_message",
               "product_id", "pay_method", "scan_channel", "applicant", "approved_by", "created_at", "closed_at",
               "returned_at")
ADMIN_COLUMNS = ("id", "order_no", "type", "amount", "status", "failure_reason", "pay_method", "product_id",
                 "applicant", "approved_by", "reason", "buyer_message", "created_at", "shop")


def _cell(column: Column, value, coded: bool):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).isoformat() if coded else timezone.localtime(value).strftime(
            "%Y-%m-%d %H:%M:%S")
    if column.choices is not None and not coded:
        value = str(dict(column.choices.choices).get(value, value))
    return spreadsheet_safe(value)


def payout_header(keys: Iterable[str], *, caption: str = "label") -> list[str]:
    """`caption`: "key" (the API's stable keys), "zh" (its Chinese captions) or "label" (the page's language)."""
    return [key if caption == "key" else COLUMNS[key].zh if caption == "zh" else str(COLUMNS[key].label)
            for key in keys]


def payout_rows(qs: QuerySet, keys: Iterable[str], *, coded: bool) -> Iterator[list]:
    """Every payout of `qs` in its order, one list of cells each, read in chunks (no model instances)."""
    columns = [COLUMNS[key] for key in keys]
    for row in qs.values_list(*(c.field for c in columns)).iterator(chunk_size=2000):
        yield [_cell(column, value, coded) for column, value in zip(columns, row, strict=True)]


def csv_response(header: list[str], rows: Iterable[list], *, filename: str, stream: bool = False) -> HttpResponse:
    response_class = StreamingHttpResponse if stream else HttpResponse
    response = response_class(csv_lines(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(header: list[str], rows: Iterable[list], *, filename: str, sheet: str) -> HttpResponse:
    content = xlsx_bytes(header, ([float(v) if isinstance(v, Decimal) else v for v in row] for row in rows), sheet=sheet)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
